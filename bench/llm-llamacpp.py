#!/usr/bin/env python3
"""The llama.cpp side of bench/llm.mjs: a long-lived worker driving llama.cpp through
llama-cpp-python's low-level bindings (llama_decode on a batch, no Python sampler), so
per-token Python overhead stays in the tens of microseconds.

Reads one JSON command per line on stdin, answers one JSON line on stdout:
  {"op": "load", "model": path, "threads": n, "n_ctx": n}          -> {"n_vocab": ...}
  {"op": "prompt", "ids": [...]}       evaluate ids from an empty cache
                                       -> {"wall": s, "cpu": s, "n": len(ids), "next": id}
  {"op": "decode", "ids": [...], "n": n}  evaluate ids, then n greedy single-token steps;
                                       times only the n steps -> {"wall": s, "cpu": s, "tokens": [...]}
  {"op": "tokenize", "text": str}      -> {"ids": [...]}   (BOS added)
  {"op": "detokenize", "ids": [...]}   -> {"text": str}
"""
import ctypes
import json
import sys
import time

import numpy as np
import llama_cpp

state = {}


@llama_cpp.llama_log_callback
def _quiet(level, text, user_data):
    """llama.cpp's log lines would drown the bench output; errors come back as JSON."""


llama_cpp.llama_log_set(_quiet, ctypes.c_void_p(0))


def load(cmd):
    llama_cpp.llama_backend_init()
    mp = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(cmd["model"].encode(), mp)
    if not model:
        raise RuntimeError("cannot load " + cmd["model"])
    cp = llama_cpp.llama_context_default_params()
    cp.n_ctx = cmd.get("n_ctx", 512)
    cp.n_batch = cp.n_ctx
    cp.n_ubatch = cp.n_ctx
    cp.n_threads = cmd["threads"]
    cp.n_threads_batch = cmd["threads"]
    ctx = llama_cpp.llama_init_from_model(model, cp)
    vocab = llama_cpp.llama_model_get_vocab(model)
    state.update(model=model, ctx=ctx, vocab=vocab, n_vocab=llama_cpp.llama_vocab_n_tokens(vocab))
    return {"n_vocab": state["n_vocab"]}


def clear():
    mem = llama_cpp.llama_get_memory(state["ctx"])
    llama_cpp.llama_memory_clear(mem, True)


def decode_ids(ids):
    arr = (llama_cpp.llama_token * len(ids))(*ids)
    batch = llama_cpp.llama_batch_get_one(arr, len(ids))
    rc = llama_cpp.llama_decode(state["ctx"], batch)
    if rc != 0:
        raise RuntimeError(f"llama_decode returned {rc}")


def argmax_last():
    ptr = llama_cpp.llama_get_logits_ith(state["ctx"], -1)
    row = np.ctypeslib.as_array(ptr, shape=(state["n_vocab"],))
    return int(np.argmax(row))


def prompt(cmd):
    clear()
    ids = cmd["ids"]
    c0, t0 = time.process_time(), time.perf_counter()
    decode_ids(ids)
    nxt = argmax_last()
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "n": len(ids), "next": nxt}


def decode(cmd):
    clear()
    decode_ids(cmd["ids"])
    tok = argmax_last()
    out = []
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(cmd["n"]):
        out.append(tok)
        decode_ids([tok])
        tok = argmax_last()
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "tokens": out}


def tokenize(cmd):
    text = cmd["text"].encode()
    buf = (llama_cpp.llama_token * (len(text) + 8))()
    n = llama_cpp.llama_tokenize(state["vocab"], text, len(text), buf, len(buf), True, False)
    return {"ids": list(buf[:n])}


def detokenize(cmd):
    ids = cmd["ids"]
    arr = (llama_cpp.llama_token * len(ids))(*ids)
    size = 64 + 64 * len(ids)
    buf = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_detokenize(state["vocab"], arr, len(ids), buf, size, False, False)
    return {"text": buf.raw[:n].decode("utf-8", "replace")}


OPS = {"load": load, "prompt": prompt, "decode": decode, "tokenize": tokenize, "detokenize": detokenize}


def main():
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            reply = OPS[cmd["op"]](cmd)
        except Exception as e:  # reported to the bench, which fails loudly
            reply = {"error": repr(e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
