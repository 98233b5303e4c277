"""`gradeloop data|contam|synth` as users meet them: exit codes 0 / 1 / 2 and files written."""
import json
import shutil
from pathlib import Path

from tests.data.conftest import write_suite

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "synth"
LONG = ("the quarterly report shows that revenue from the northern region grew by twelve percent while costs "
        "in the southern warehouses fell")


def test_seal_then_verify_catches_an_edited_holdout(run_cli, workdir):
    hold = write_suite(workdir / "hold.yaml", "hold", {"a": "a secret question"}, split="holdout")
    rc, out, _ = run_cli("data", "seal", hold)
    assert rc == 0 and out.startswith("sealed hold@")
    rc, out, _ = run_cli("data", "verify")
    assert rc == 0 and out.startswith("ok")
    write_suite(hold, "hold", {"a": "a secret question, reworded"}, split="holdout")
    rc, out, _ = run_cli("data", "verify")
    assert rc == 1 and "CHANGED" in out and "hold" in out
    rc, out, _ = run_cli("data", "verify", "--json")
    assert rc == 1 and json.loads(out)[0]["status"] == "changed"
    rc, _, err = run_cli("data", "seal", write_suite(workdir / "dev.yaml", "dev", {"a": "x"}))
    assert rc == 2 and "split" in err


def test_add_list_show_and_lineage(run_cli, workdir):
    suite = write_suite(workdir / "seeds.yaml", "seeds", {"a": "x"}, split="train")
    data = workdir / "derived.jsonl"
    data.write_text('{"prompt": "x"}\n')
    rc, out, _ = run_cli("data", "add", suite)
    seeds_id = out.split()[0]
    assert rc == 0 and seeds_id.startswith("seeds@")
    rc, out, _ = run_cli("data", "add", data, "--kind", "synthetic", "--parent", "seeds:paraphrased",
                         "--meta", "teacher=gpt")
    derived_id = out.split()[0]
    assert rc == 0 and " synthetic " in out
    rc, out, _ = run_cli("data", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [seeds_id, derived_id]
    rc, out, _ = run_cli("data", "show", "derived", "--json")
    shown = json.loads(out)
    assert shown["parents"] == [{"id": seeds_id, "how": "paraphrased"}] and shown["meta"] == {"teacher": "gpt"}
    rc, out, _ = run_cli("data", "lineage", "seeds")
    assert rc == 0 and f"feeds {derived_id}" in out and "[paraphrased]" in out
    rc, out, _ = run_cli("data", "lineage", derived_id, "--up", "--json")
    assert json.loads(out)["up"][0]["id"] == seeds_id and "down" not in json.loads(out)
    rc, _, err = run_cli("data", "show", "nothing-like-this")
    assert rc == 2 and "no dataset" in err
    rc, _, err = run_cli("data", "add", data, "--meta", "novalue")
    assert rc == 2 and "KEY=VALUE" in err


def test_contam_exit_codes_and_json(run_cli, workdir):
    suite = write_suite(workdir / "eval.yaml", "ev", {"long": LONG, "other": "what is the capital of france"})
    train = workdir / "train.jsonl"
    train.write_text(json.dumps({"text": "nothing to see"}) + "\n"
                     + json.dumps({"text": "Intro. " + LONG.upper() + " The end of a much longer story."}) + "\n")
    rc, out, _ = run_cli("contam", train, "--against", suite, "--json", "hits.json")
    assert rc == 1 and "contaminated: 1 hit(s)" in out and "train.jsonl:2" in out
    doc = json.loads((workdir / "hits.json").read_text())
    assert doc["schema"] == "gradeloop.contam/v1"
    assert [(h["kind"], h["train"]["line"], h["eval"]["case_id"]) for h in doc["hits"]] == [("near", 2, "long")]
    clean = workdir / "clean.txt"
    clean.write_text("a line about gardening\nanother about cooking\n")
    rc, out, _ = run_cli("contam", clean, "--against", suite)
    assert rc == 0 and out.startswith("clean: 0 hit(s)")
    rc, _, err = run_cli("contam", train, "--against", suite, "--field", "body")
    assert rc == 2 and "train.jsonl:1" in err and "body" in err
    rc, _, err = run_cli("contam", clean, "--against", "missing.yaml")
    assert rc == 2 and "missing.yaml" in err


def test_synth_example_runs_and_refuses_a_holdout_seed(run_cli, workdir):
    shutil.copytree(EXAMPLE, workdir / "synth", ignore=shutil.ignore_patterns("out"))
    spec = workdir / "synth" / "spec.yaml"
    rc, out, err = run_cli("synth", spec, "--workers", "1", "--json", "prov.json")
    assert rc == 0, err
    prov = json.loads((workdir / "prov.json").read_text())
    assert prov["filters"]["privacy"]["kinds"] == {"phone": 4} and prov["filters"]["graders"]["removed"] == 2
    assert prov["mix"]["share"] <= 0.2 and "registered support-synth@" in out.replace("\n", " ")
    rc, out, _ = run_cli("data", "lineage", "support-synth", "--up")
    assert "support-seeds@" in out and "pool@" in out
    seeds = (workdir / "synth" / "seeds.yaml")
    seeds.write_text(seeds.read_text().replace("split: train", "split: holdout"))
    rc, _, err = run_cli("synth", spec, "--workers", "1")
    assert rc == 2 and "seeds.yaml" in err and "holdout" in err
