def get_assert(output, context):
    n = len(output.split())
    return {"pass": n >= 5, "score": min(1.0, n / 20), "reason": f"{n} words"}
