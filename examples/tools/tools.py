"""Tool implementations for the order-support example: each top-level function is a tool.

gradeloop runs them in its sandbox (no network, read-only files) for `tool_exec` graders and
agent suites; the module is executed afresh for every sample, so these globals are the state.
"""
ORDERS = {"A-10001": {"status": "shipped", "eta": "Friday"}, "A-10002": {"status": "lost", "eta": None}}
TICKETS: list[dict] = []


def lookup_order(order_id: str) -> dict:
    """The order's status and delivery estimate; an unknown id raises (the model sees the error)."""
    if order_id not in ORDERS:
        raise KeyError(f"no order {order_id}")
    return {"order_id": order_id, **ORDERS[order_id]}


def create_ticket(order_id: str, summary: str, priority: int = 3) -> dict:
    """Open a support ticket for an order."""
    TICKETS.append({"order_id": order_id, "summary": summary, "priority": priority})
    return {"ticket_id": f"T-{len(TICKETS)}", "priority": priority}


def check(calls: list[dict], results: list[dict], case: dict) -> dict:
    """`tool_exec`'s judge: exactly one ticket, for the lost order, with priority 1 or 2."""
    lost = [t for t in TICKETS if ORDERS.get(t["order_id"], {}).get("status") == "lost"]
    ok = len(TICKETS) == 1 and len(lost) == 1 and lost[0]["priority"] <= 2
    return {"passed": ok, "reason": f"{len(TICKETS)} ticket(s): {TICKETS}"}
