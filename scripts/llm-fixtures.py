#!/usr/bin/env python3
"""Writes the llama.cpp reference fixtures for the llm tests into __test__/llm/fixtures/.

Run it through scripts/llm-fixtures.js, which installs llama-cpp-python (the peer) and
the gemma-3-270m model first and passes their locations:

    node scripts/llm-fixtures.js

Usage: llm-fixtures.py <models dir> <gemma gguf> <output dir>

For every small model (stories260K f32/q8_0, random-*): the prompt ids, the greedy ids
(48 for stories260K, 32 for the random models; n_ctx 512, 1 thread) and the full logits
at the last prompt position and the first generated positions. For gemma-3-270m Q4_K_M:
three prompts with their ids, the first 32 greedy ids and the top logits of the first
steps. For the stories260K and gemma vocabularies: tokenisation of tricky text with and
without special-token parsing, and detokenisation. Every fixture records the version.
"""
import ctypes
import json
import os
import sys

import numpy as np
import llama_cpp
from llama_cpp import Llama

N_CTX = 512
PROMPT = "Once upon a time"
LOGIT_STEPS = 4  # logits at the prompt's last position plus 3 generated positions
GEMMA_PROMPTS = [
    {"text": "The capital of France is", "parse_special": False},
    {"text": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n", "parse_special": False},
    {
        "text": "<start_of_turn>user\nWrite a haiku about the sea.<end_of_turn>\n<start_of_turn>model\n",
        "parse_special": True,
    },
]
TRICKY = [
    "Hello world",
    "Once upon a time",
    " leading space",
    "   three leading spaces",
    "trailing space ",
    "multiple   spaces\n\nand\n\n\nnewlines\t\ttabs  \n",
    "emoji 😀👍🏽 and flags 🇫🇷🇯🇵, zwj 👩‍💻",
    "CJK: 你好，世界。日本語のテキスト、한국어 문장",
    "code:\ndef f(x):\n    return x ** 2  # square\n\tif (a && b) { return; }\n",
    "Ünïcödé àccents, ß, Ω, ñ — “quotes” and ‘apostrophes’ …",
    "numbers 1234567890 3.14159 -42 1e10",
    "<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\n",
    "<s>text between</s> and <unk>",
    "<bos><eos><pad><mask>[multimodal]",
    "not special: <start_of_turn <end_of_turn> <|im_start|>",
    "",
    " ",
    "\n",
    "a",
    "\u00a0nbsp\u2009thin\u3000ideographic",
    "A" * 40 + " " + "ab" * 30,
    "I'm sure you'll see: it's 'quoted' isn't it?",
]
# Raw bytes that are not valid UTF-8 (llama.cpp tokenises bytes, not characters).
TRICKY_BYTES = [b"bad utf-8: \xff\xfe \xc3 end", b"\xe4\xb8"]
TRICKY += [
    "They're here; we've done it, you'll see. I'D SAY IT'S fine 'quoted'",
    "x = 12345678 + 3.14159e-10;\r\n\r\n  indented\n\n\n",
    "   \n  \t trailing whitespace   ",
    "!!! ??? ... --- ((()))",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "call <tool_call> now",
]


def version():
    return {"llama_cpp_python": llama_cpp.__version__, "n_ctx": N_CTX, "n_threads": 1}


def f32(values):
    return [float(np.float32(v)) for v in values]


def detok(llm, ids, remove_special=False, unparse_special=False):
    """llama.cpp's own llama_detokenize (llama-cpp-python's wrapper truncates long pieces)."""
    arr = (llama_cpp.llama_token * len(ids))(*ids)
    size = 64 + 64 * len(ids)
    buf = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_detokenize(llm._model.vocab, arr, len(ids), buf, size, remove_special, unparse_special)
    if n < 0:
        raise RuntimeError(f"detokenize needs {-n} bytes")
    return buf.raw[:n]


def load(path, vocab_only=False):
    return Llama(
        model_path=path,
        n_ctx=N_CTX,
        n_batch=N_CTX,
        n_threads=1,
        n_threads_batch=1,
        vocab_only=vocab_only,
        verbose=False,
        seed=0,
    )


def greedy(llm, ids, n_gen, logit_steps, top=None):
    """Evaluates `ids`, then `n_gen` greedy steps; returns the ids and per-step logits."""
    llm.reset()
    llm.eval(ids)
    out, logits = [], []
    n_vocab = llm.n_vocab()
    for step in range(n_gen):
        ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
        row = np.ctypeslib.as_array(ptr, shape=(n_vocab,)).astype(np.float32).copy()
        if step < logit_steps:
            if top is None:
                logits.append(f32(row))
            else:
                order = np.argsort(-row, kind="stable")[:top]
                logits.append([[int(i), float(row[i])] for i in order])
        tok = int(np.argmax(row))
        out.append(tok)
        if step + 1 < n_gen:
            llm.eval([tok])
    return out, logits


def small_model(models, name, out_dir):
    path = os.path.join(models, name + ".gguf")
    llm = load(path)
    ids = llm.tokenize(PROMPT.encode(), add_bos=True, special=False)
    n_gen = 48 if name.startswith("stories") else 32
    gen, logits = greedy(llm, ids, n_gen, LOGIT_STEPS)
    text = detok(llm, gen)
    fixture = {
        "model": name + ".gguf",
        "reference": version(),
        "prompt": PROMPT,
        "add_bos": True,
        "prompt_ids": ids,
        "greedy_ids": gen,
        "greedy_text": text.decode("utf-8", "replace"),
        "greedy_text_hex": text.hex(),
        "logits_note": "logits[0] is the full row at the last prompt position; logits[i] the row after "
        "feeding greedy_ids[i-1]",
        "logits": logits,
    }
    write(out_dir, name + ".json", fixture)
    return fixture


def gemma(path, out_dir):
    llm = load(path)
    prompts = []
    for p in GEMMA_PROMPTS:
        ids = llm.tokenize(p["text"].encode(), add_bos=True, special=p["parse_special"])
        gen, top = greedy(llm, ids, 32, LOGIT_STEPS, top=10)
        text = detok(llm, gen)
        prompts.append(
            {
                "text": p["text"],
                "add_bos": True,
                "parse_special": p["parse_special"],
                "prompt_ids": ids,
                "greedy_ids": gen,
                "greedy_text": text.decode("utf-8", "replace"),
                "greedy_text_hex": text.hex(),
                "top_logits": top,
            }
        )
    fixture = {
        "model": os.path.basename(path),
        "reference": version(),
        "top_logits_note": "top_logits[i] = the 10 best [id, logit] at generation step i (step 0: last prompt position)",
        "prompts": prompts,
    }
    write(out_dir, "gemma-3-270m-q4_k_m.json", fixture)


def tokenizer_cases(path, name, out_dir):
    llm = load(path, vocab_only=True)
    cases = []
    inputs = [(t.encode(), t) for t in TRICKY] + [(b, None) for b in TRICKY_BYTES]
    for raw, text in inputs:
        case = {"text": text, "hex": raw.hex(), "ids": {}}
        for add_special in (True, False):
            for parse_special in (True, False):
                ids = llm.tokenize(raw, add_bos=add_special, special=parse_special)
                case["ids"][f"add_special={str(add_special).lower()},parse_special={str(parse_special).lower()}"] = ids
        ids = case["ids"]["add_special=true,parse_special=true"]
        case["detok_hex"] = detok(llm, ids, unparse_special=True).hex()
        case["detok_plain_hex"] = detok(llm, ids, unparse_special=False).hex()
        cases.append(case)
    pieces = {}
    n_vocab = llm.n_vocab()
    sample_ids = set(list(range(min(n_vocab, 300))) + list(range(max(0, n_vocab - 50), n_vocab)))
    for case in cases:
        for ids in case["ids"].values():
            sample_ids.update(ids)
    sample_ids = sorted(sample_ids)
    for i in sample_ids:
        pieces[str(i)] = {
            "special": detok(llm, [i], unparse_special=True).hex(),
            "plain": detok(llm, [i], unparse_special=False).hex(),
        }
    fixture = {
        "model": os.path.basename(path),
        "reference": version(),
        "note": "ids keyed by llama_tokenize flags; detok_*_hex = llama_detokenize(remove_special=false, "
        "unparse_special=true/false) of the add_special+parse_special ids; pieces = the same for [id]",
        "cases": cases,
        "pieces": pieces,
    }
    write(out_dir, f"tokenizer-{name}.json", fixture)


# ---------------------------------------------------------------------------------------
# A small byte-level BPE vocabulary (no public BPE model is small enough to commit): the
# 256 GPT-2 byte symbols, merges learned here from CORPUS, and llama-3 style special
# tokens, written as vocabulary-only GGUF files, one per pre-tokenizer.

CORPUS = "\n".join(TRICKY) + """
Once upon a time, there was a little girl named Lily. She loved to play outside in the park.
One day, she saw a big, red ball. She wanted to play with it, but it was too high. "Can you
help me?" she asked her mom. They're happy; we've seen it, you'll see, I'd say it's 1999 or 2024.
def main():\n    for i in range(10):\n        print(i * 3.14159)\n
The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX! Naïve café, résumé, 東京, Ωmega.
"""
BPE_SPECIALS = [("<|begin_of_text|>", 3), ("<|end_of_text|>", 3), ("<|start_header_id|>", 3),
                ("<|end_header_id|>", 3), ("<|eot_id|>", 3), ("<tool_call>", 4)]


def bytes_to_unicode():
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, n = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


def learn_bpe(n_merges):
    import re
    enc = bytes_to_unicode()
    words = {}
    for w in re.findall(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+", CORPUS):
        key = tuple(enc[b] for b in w.encode())
        words[key] = words.get(key, 0) + 1
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


def write_gguf(path, kvs):
    """A GGUF v3 file with metadata only (no tensors)."""
    import struct

    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    def val(v):
        if isinstance(v, bool):
            return struct.pack("<I", 7) + struct.pack("<?", v)
        if isinstance(v, int):
            return struct.pack("<I", 4) + struct.pack("<I", v)
        if isinstance(v, float):
            return struct.pack("<I", 6) + struct.pack("<f", v)
        if isinstance(v, str):
            return struct.pack("<I", 8) + s(v)
        if isinstance(v, tuple) and v[0] == "i32":
            return struct.pack("<IIQ", 9, 5, len(v[1])) + b"".join(struct.pack("<i", x) for x in v[1])
        if isinstance(v, list):
            return struct.pack("<IIQ", 9, 8, len(v)) + b"".join(s(x) for x in v)
        raise TypeError(v)

    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs))
    for k, v in kvs.items():
        out += s(k) + val(v)
    out += b"\0" * (-len(out) % 32)  # the (empty) tensor data starts at the alignment
    with open(path, "wb") as f:
        f.write(out)


def bpe_vocab(out_dir, pre):
    enc = bytes_to_unicode()
    merges = learn_bpe(400)
    tokens = [enc[b] for b in range(256)]
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            tokens.append(a + b)
            seen.add(a + b)
    types = [1] * len(tokens)
    for text, ty in BPE_SPECIALS:
        tokens.append(text)
        types.append(ty)
    path = os.path.join(out_dir, f"bpe-{pre}.gguf")
    write_gguf(path, {
        "general.architecture": "llama",
        "general.name": f"ghostkit test BPE vocabulary ({pre})",
        "llama.context_length": 512,
        "llama.embedding_length": 64,
        "llama.block_count": 1,
        "llama.feed_forward_length": 128,
        "llama.attention.head_count": 4,
        "llama.attention.layer_norm_rms_epsilon": 1e-5,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": pre,
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.token_type": ("i32", types),
        "tokenizer.ggml.merges": [f"{a} {b}" for a, b in merges],
        "tokenizer.ggml.bos_token_id": tokens.index("<|begin_of_text|>"),
        "tokenizer.ggml.eos_token_id": tokens.index("<|end_of_text|>"),
        "tokenizer.ggml.add_bos_token": True,
    })
    print("wrote", os.path.basename(path), file=sys.stderr)
    return path


def write(out_dir, name, obj):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print("wrote", name, file=sys.stderr)


def check_readme(fx):
    """The stories260K-f32 fixture must reproduce ../shared/models/README.md."""
    want_prompt = [1, 403, 407, 261, 378]
    want_top5 = [(432, 17.7989), (383, 14.2825), (322, 9.7098), (353, 9.5862), (323, 9.1355)]
    want_gen = [int(x) for x in (
        "432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337 410 408 419 292 411 322 265 282 "
        "295 433 426 385 328 432 358 394 261 370 432 352 266 268 388 426 338 391 266 267 337 335 312 432"
    ).split()]
    assert fx["prompt_ids"] == want_prompt, fx["prompt_ids"]
    row = np.array(fx["logits"][0])
    top = np.argsort(-row, kind="stable")[:5]
    for (wid, wl), gid in zip(want_top5, top):
        assert wid == int(gid) and abs(row[gid] - wl) < 1e-3, (wid, wl, int(gid), row[gid])
    assert fx["greedy_ids"] == want_gen, fx["greedy_ids"]
    assert fx["greedy_text"].startswith(", there was a little girl named Lily."), fx["greedy_text"]
    print("stories260K-f32 matches the README reference", file=sys.stderr)


def main():
    models, gemma_path, out_dir = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    names = ["stories260K-f32", "stories260K-q8_0"] + sorted(
        f[: -len(".gguf")] for f in os.listdir(models) if f.startswith("random-") and f.endswith(".gguf")
    )
    for name in names:
        fx = small_model(models, name, out_dir)
        if name == "stories260K-f32":
            check_readme(fx)
    tokenizer_cases(os.path.join(models, "stories260K-f32.gguf"), "stories260K", out_dir)
    for pre in ("llama3", "gpt-2", "qwen2"):
        tokenizer_cases(bpe_vocab(out_dir, pre), "bpe-" + pre, out_dir)
    tokenizer_cases(gemma_path, "gemma3", out_dir)
    gemma(gemma_path, out_dir)


if __name__ == "__main__":
    main()
