//! One inference context: its KV cache and scratch, sized when it is created, and the
//! forward pass over a batch of tokens. Nothing is allocated while decoding.
//!
//! Numerics repeat llama.cpp's CPU path operation for operation, so tokens and logits
//! equal its own (docs/llm.md, "Numerics"): K/V cached as F16, queries and attention
//! weights rounded to F16, ggml's summation orders and `expf`, norms and softmax sums in
//! f64, RoPE angles from the C library's cosf/sinf, GELU on F16 inputs.

const std = @import("std");
const builtin = @import("builtin");
const quant = @import("quant.zig");
const matmul_f32 = @import("matmul_f32.zig");
const pool_mod = @import("pool.zig");
const model_mod = @import("model.zig");
const Model = model_mod.Model;
const Weight = model_mod.Weight;

pub const Error = error{ ContextFull, BadToken, OutOfMemory };

pub const Context = struct {
    gpa: std.mem.Allocator,
    model: *Model,
    n_ctx: usize,
    n_batch: usize,
    /// F16 bits. Head size 64 and up: [layer][position][kv_dim]. Smaller heads
    /// (`tiled`): [layer][kv head][tile of 16 positions][dim][16], so attention runs on
    /// 16 cells at a time (see `AttentionJob.headTiled`).
    k_cache: []u16,
    v_cache: []u16,
    x: []f32,
    xb: []f32,
    xb2: []f32,
    q: []f32,
    k: []f32,
    v: []f32,
    att: []f32,
    hb: []f32,
    hb2: []f32,
    act: []align(64) u8,
    /// One row of attention scores per thread.
    scores: []f32,
    logits: []f32,
    rope_cos: []f32,
    rope_sin: []f32,
    /// The small-head cache layout and attention (head size < 64).
    tiled: bool,
    /// Tiles of 16 positions that cover `n_ctx`.
    n_tiles: usize,

    pub fn init(gpa: std.mem.Allocator, model: *Model, n_ctx: usize, n_batch_max: usize) Error!*Context {
        const hp = model.hp;
        const n_batch = @max(1, @min(n_batch_max, n_ctx));
        const c = try gpa.create(Context);
        errdefer gpa.destroy(c);
        const n_tiles = (n_ctx + lanes - 1) / lanes;
        c.* = .{ .gpa = gpa, .model = model, .n_ctx = n_ctx, .n_batch = n_batch, .k_cache = &.{}, .v_cache = &.{}, .x = &.{}, .xb = &.{}, .xb2 = &.{}, .q = &.{}, .k = &.{}, .v = &.{}, .att = &.{}, .hb = &.{}, .hb2 = &.{}, .act = &.{}, .scores = &.{}, .logits = &.{}, .rope_cos = &.{}, .rope_sin = &.{}, .tiled = hp.head_dim < 64, .n_tiles = n_tiles };
        errdefer c.freeBuffers();
        const kv = hp.n_layer * (if (c.tiled) n_tiles * lanes else n_ctx) * hp.kvDim();
        c.k_cache = try gpa.alloc(u16, kv);
        c.v_cache = try gpa.alloc(u16, kv);
        c.x = try gpa.alloc(f32, n_batch * hp.n_embd);
        c.xb = try gpa.alloc(f32, n_batch * hp.n_embd);
        c.xb2 = try gpa.alloc(f32, n_batch * hp.n_embd);
        c.q = try gpa.alloc(f32, n_batch * hp.qDim());
        c.k = try gpa.alloc(f32, n_batch * hp.kvDim());
        c.v = try gpa.alloc(f32, n_batch * hp.kvDim());
        c.att = try gpa.alloc(f32, n_batch * hp.qDim());
        c.hb = try gpa.alloc(f32, n_batch * hp.n_ff);
        c.hb2 = try gpa.alloc(f32, n_batch * hp.n_ff);
        const max_cols = @max(hp.n_embd, hp.n_ff, hp.qDim());
        c.act = try gpa.alignedAlloc(u8, .@"64", n_batch * actStride(max_cols));
        c.scores = try gpa.alloc(f32, model.pool.count * n_tiles * lanes);
        c.logits = try gpa.alloc(f32, hp.n_vocab);
        c.rope_cos = try gpa.alloc(f32, n_batch * hp.rope_dim / 2);
        c.rope_sin = try gpa.alloc(f32, n_batch * hp.rope_dim / 2);
        return c;
    }

    fn freeBuffers(c: *Context) void {
        const g = c.gpa;
        g.free(c.k_cache);
        g.free(c.v_cache);
        inline for (.{ "x", "xb", "xb2", "q", "k", "v", "att", "hb", "hb2", "scores", "logits", "rope_cos", "rope_sin" }) |f| g.free(@field(c, f));
        g.free(c.act);
    }

    pub fn deinit(c: *Context) void {
        c.freeBuffers();
        c.gpa.destroy(c);
    }

    /// Bytes this context holds (reported to V8 as external memory).
    pub fn memoryBytes(c: *const Context) usize {
        const hp = c.model.hp;
        return (c.k_cache.len + c.v_cache.len) * 2 + c.act.len + 4 * (c.n_batch * (3 * hp.n_embd + 2 * hp.qDim() + 2 * hp.kvDim() + 2 * hp.n_ff + hp.rope_dim) + c.scores.len + c.logits.len);
    }

    /// Runs `tokens` at positions `pos0..`, in batches; leaves the last token's logits.
    pub fn decode(c: *Context, tokens: []const u32, pos0: usize) Error!void {
        if (tokens.len == 0) return;
        if (pos0 > c.n_ctx or tokens.len > c.n_ctx - pos0) return error.ContextFull;
        for (tokens) |t| if (t >= c.model.hp.n_vocab) return error.BadToken;
        var done: usize = 0;
        while (done < tokens.len) {
            const n = @min(c.n_batch, tokens.len - done);
            c.forward(tokens[done..][0..n], pos0 + done);
            done += n;
        }
        c.computeLogits((tokens.len - 1) % c.n_batch);
    }

    fn forward(c: *Context, tokens: []const u32, pos0: usize) void {
        const m = c.model;
        const hp = m.hp;
        const n = tokens.len;
        const d = hp.n_embd;
        for (tokens, 0..) |t, i| {
            const row = c.x[i * d ..][0..d];
            quant.dequantizeRow(m.tok_embd.type, m.tok_embd.row(t), row);
            if (hp.embed_scale != 1) for (row) |*v| {
                v.* *= hp.embed_scale;
            };
        }
        for (m.layers, 0..) |*layer, li| {
            for (0..n) |i| rmsNorm(c.xb[i * d ..][0..d], c.x[i * d ..][0..d], layer.attn_norm, hp.eps);
            c.matmuls(&.{ &layer.wq, &layer.wk, &layer.wv }, &.{ c.q, c.k, c.v }, c.xb, n);
            c.attention(layer, li, n, pos0);
            c.matmuls(&.{&layer.wo}, &.{c.xb2}, c.att, n);
            if (layer.post_attn_norm) |w| for (0..n) |i| rmsNormInPlace(c.xb2[i * d ..][0..d], w, hp.eps);
            for (c.x[0 .. n * d], c.xb2[0 .. n * d]) |*x, y| x.* += y;

            for (0..n) |i| rmsNorm(c.xb[i * d ..][0..d], c.x[i * d ..][0..d], layer.ffn_norm, hp.eps);
            c.matmuls(&.{ &layer.gate, &layer.up }, &.{ c.hb, c.hb2 }, c.xb, n);
            const ff = c.hb[0 .. n * hp.n_ff];
            switch (m.arch) {
                .llama => for (0..n) |t| swiglu(c.hb[t * hp.n_ff ..][0..hp.n_ff], c.hb2[t * hp.n_ff ..][0..hp.n_ff]),
                .gemma3 => {
                    const table = m.gelu[0 .. 1 << 16];
                    for (ff, c.hb2[0 .. n * hp.n_ff]) |*g, u| g.* = geluLookup(table, g.*) * u;
                },
            }
            c.matmuls(&.{&layer.down}, &.{c.xb2}, c.hb, n);
            if (layer.post_ffn_norm) |w| for (0..n) |i| rmsNormInPlace(c.xb2[i * d ..][0..d], w, hp.eps);
            for (c.x[0 .. n * d], c.xb2[0 .. n * d]) |*x, y| x.* += y;
        }
    }

    fn computeLogits(c: *Context, last: usize) void {
        const m = c.model;
        const d = m.hp.n_embd;
        rmsNorm(c.xb[0..d], c.x[last * d ..][0..d], m.output_norm, m.hp.eps);
        c.matmuls(&.{&m.output}, &.{c.logits}, c.xb, 1);
    }

    /// out_j[t] = W_j · in[t] for every weight; activations are prepared once per kind.
    fn matmuls(c: *Context, ws: []const *const Weight, outs: []const []f32, input: []const f32, n: usize) void {
        var done: [4]bool = @splat(false);
        for (ws, 0..) |w, i| {
            if (done[i]) continue;
            const kind = quant.actKind(w.type);
            var job: MatmulJob = .{ .act = c.act, .act_stride = actStride(w.cols), .n_tok = n };
            for (ws[i..], outs[i..], i..) |w2, o2, j| {
                if (quant.actKind(w2.type) != kind) continue;
                job.ws[job.count] = w2;
                job.outs[job.count] = o2.ptr;
                job.count += 1;
                done[j] = true;
            }
            for (0..n) |t| quant.prepare(kind, input[t * w.cols ..][0..w.cols], @alignCast(c.act[t * job.act_stride ..]));
            for (job.ws[0..job.count]) |w2| job.total += w2.rows;
            const pool = &c.model.pool;
            const work = job.total * w.cols * n;
            // Chunks of 16 rows and up, about 16 per thread for one token (so a late or
            // slow thread is made up for), 4 for a batch (longer runs over its tokens).
            job.chunk_rows = if (pool.count == 1 or work < pool_mod.inline_work) job.total else pool_mod.chunkSize(job.total, pool.count, if (n == 1) 16 else 4, 16);
            pool.run(.{ .run = MatmulJob.run, .ctx = &job, .chunks = (job.total + job.chunk_rows - 1) / job.chunk_rows, .work = work });
        }
    }

    fn attention(c: *Context, layer: *const model_mod.Layer, li: usize, n: usize, pos0: usize) void {
        const hp = c.model.hp;
        const hd = hp.head_dim;
        const sliding = hp.isSlidingLayer(li);
        const base = if (sliding) hp.rope_base_local else hp.rope_base;
        const freq_scale = if (sliding) 1 else hp.rope_freq_scale;
        ropeTable(c.rope_cos, c.rope_sin, hp.rope_dim, base, freq_scale, pos0, n);
        for (0..n) |t| {
            for (0..hp.n_head) |h| {
                const q = c.q[t * hp.qDim() + h * hd ..][0..hd];
                if (layer.q_norm) |w| rmsNormInPlace(q, w, hp.eps);
                rope(q, c.rope_cos[t * hp.rope_dim / 2 ..], c.rope_sin[t * hp.rope_dim / 2 ..], hp.rope_dim, hp.rope_neox);
                for (q) |*v| v.* = quant.f16ToF32(quant.f32ToF16(v.* * hp.q_scale));
            }
            for (0..hp.n_head_kv) |h| {
                const k = c.k[t * hp.kvDim() + h * hd ..][0..hd];
                if (layer.k_norm) |w| rmsNormInPlace(k, w, hp.eps);
                rope(k, c.rope_cos[t * hp.rope_dim / 2 ..], c.rope_sin[t * hp.rope_dim / 2 ..], hp.rope_dim, hp.rope_neox);
            }
            const kv_dim = hp.kvDim();
            const pos = pos0 + t;
            if (c.tiled) {
                for (0..hp.n_head_kv) |h| {
                    const at = c.tileBase(li, h, pos / lanes) + pos % lanes;
                    for (0..hd) |d| {
                        c.k_cache[at + d * lanes] = quant.f32ToF16(c.k[t * kv_dim + h * hd + d]);
                        c.v_cache[at + d * lanes] = quant.f32ToF16(c.v[t * kv_dim + h * hd + d]);
                    }
                }
            } else {
                const at = (li * c.n_ctx + pos) * kv_dim;
                for (c.k_cache[at..][0..kv_dim], c.k[t * kv_dim ..][0..kv_dim]) |*dst, v| dst.* = quant.f32ToF16(v);
                for (c.v_cache[at..][0..kv_dim], c.v[t * kv_dim ..][0..kv_dim]) |*dst, v| dst.* = quant.f32ToF16(v);
            }
        }
        var job: AttentionJob = .{ .c = c, .li = li, .n = n, .pos0 = pos0, .window = if (sliding) hp.sliding_window else 0 };
        const pool = &c.model.pool;
        const items = n * hp.n_head;
        // Later tokens attend to more cells: small chunks, taken as threads come free.
        job.chunk_items = pool_mod.chunkSize(items, pool.count, 8, 1);
        pool.run(.{ .run = AttentionJob.run, .ctx = &job, .chunks = (items + job.chunk_items - 1) / job.chunk_items, .work = items * (pos0 + n) * hd * 2 });
    }

    /// Where the tile of positions `tile * 16 ..` of KV head `h` in layer `li` starts
    /// (the `tiled` layout).
    fn tileBase(c: *const Context, li: usize, h: usize, tile: usize) usize {
        const hp = c.model.hp;
        return ((li * hp.n_head_kv + h) * c.n_tiles + tile) * hp.head_dim * lanes;
    }
};

/// Room for one prepared activation row of `cols` elements (the widest kind is f32).
fn actStride(cols: usize) usize {
    return std.mem.alignForward(usize, cols * 4, 64);
}

const MatmulJob = struct {
    ws: [4]*const Weight = undefined,
    outs: [4][*]f32 = undefined,
    count: usize = 0,
    act: []align(64) const u8,
    act_stride: usize,
    n_tok: usize,
    /// Rows of all weights, one range cut into chunks of `chunk_rows`.
    total: usize = 0,
    chunk_rows: usize = 0,

    fn run(ctx: *const anyopaque, thread: usize, chunk: usize) void {
        _ = thread;
        const job: *const MatmulJob = @ptrCast(@alignCast(ctx));
        const start = chunk * job.chunk_rows;
        const end = @min(job.total, start + job.chunk_rows);
        var offset: usize = 0;
        for (job.ws[0..job.count], job.outs[0..job.count]) |w, out| {
            const lo = @max(start, offset) - offset;
            const hi = @min(end, offset + w.rows) -| offset;
            offset += w.rows;
            if (lo >= hi) continue;
            switch (w.type) {
                inline .f32, .f16, .bf16, .q8_0, .q4_0, .q5_0, .q4_k, .q6_k => |t| rowsOf(t, w, out, job, lo, hi),
                else => unreachable,
            }
        }
    }

    fn rowsOf(comptime t: quant.Type, w: *const Weight, out: [*]f32, job: *const MatmulJob, lo: usize, hi: usize) void {
        if (t == .f32) return matmul_f32.matmulRows(w.data.ptr, w.row_bytes, w.cols, lo, hi, job.act.ptr, job.act_stride, job.n_tok, out, w.rows);
        quant.matmulRows(t, w.data.ptr, w.row_bytes, w.cols, lo, hi, job.act.ptr, job.act_stride, job.n_tok, out, w.rows);
    }
};

const AttentionJob = struct {
    c: *Context,
    li: usize,
    n: usize,
    pos0: usize,
    window: usize,
    chunk_items: usize = 1,

    fn run(ctx: *const anyopaque, thread: usize, chunk: usize) void {
        const job: *const AttentionJob = @ptrCast(@alignCast(ctx));
        const c = job.c;
        const hp = c.model.hp;
        const items = job.n * hp.n_head;
        const start = chunk * job.chunk_items;
        const end = @min(items, start + job.chunk_items);
        const scores = c.scores[thread * c.n_tiles * lanes ..][0 .. c.n_tiles * lanes];
        for (start..end) |item| {
            const t = item / hp.n_head;
            const h = item % hp.n_head;
            if (c.tiled) job.headTiled(scores, t, h) else job.head(scores, t, h);
        }
    }

    /// `head` for the tiled cache: the same operations on each cell, 16 cells (one tile)
    /// at a time, so every score, probability and output has `head`'s bits.
    fn headTiled(job: *const AttentionJob, scores: []f32, t: usize, h: usize) void {
        // Common small head sizes get their own copy with the per-dimension loops unrolled.
        switch (job.c.model.hp.head_dim) {
            inline 8, 16, 32 => |hd| job.headTiledOf(hd, scores, t, h),
            else => job.headTiledOf(null, scores, t, h),
        }
    }

    fn headTiledOf(job: *const AttentionJob, comptime head_dim: ?usize, scores: []f32, t: usize, h: usize) void {
        const c = job.c;
        const hp = c.model.hp;
        const hd = head_dim orelse hp.head_dim;
        const kvh = h / (hp.n_head / hp.n_head_kv);
        const pos = job.pos0 + t;
        const first = if (job.window > 0 and pos + 1 > job.window) pos + 1 - job.window else 0;
        const q = c.q[t * hp.qDim() + h * hd ..][0..hd];
        const batched = job.n >= 2;
        const tile0 = first / lanes;
        const tile1 = pos / lanes + 1;
        const base = c.tileBase(job.li, kvh, 0);
        const tile_len = hd * lanes;
        const ninf: F = @splat(-std.math.inf(f32));
        var maxv = ninf;
        for (tile0..tile1) |tile| {
            const k = c.k_cache[base + tile * tile_len ..][0..tile_len];
            const s = tileDots(k, q, batched) * @as(F, @splat(hp.kq_scale));
            const live = cellMask(tile, first, pos);
            const masked = @select(f32, live, s, ninf);
            scores[tile * lanes ..][0..lanes].* = masked;
            maxv = @max(maxv, masked);
        }
        const max: F = @splat(@reduce(.Max, maxv));
        var sum: f64 = 0;
        for (tile0..tile1) |tile| {
            const cell = scores[tile * lanes ..][0..lanes];
            const e = @select(f32, cellMask(tile, first, pos), expGgmlVec(cell.* - max), @as(F, @splat(0)));
            cell.* = e;
            sum += reduce16(e);
        }
        const inv: F = @splat(@as(f32, @floatCast(1.0 / sum)));
        for (tile0..tile1) |tile| {
            const cell = scores[tile * lanes ..][0..lanes];
            cell.* = roundHalf(cell.* * inv);
        }
        const out = c.att[t * hp.qDim() + h * hd ..][0..hd];
        const zero: F = @splat(0);
        const all: @Vector(lanes, bool) = @splat(true);
        const live_first = cellMask(tile0, first, pos);
        const live_last = cellMask(tile1 - 1, first, pos);
        if (head_dim) |n_dim| if (batched) {
            // Every dimension's accumulator in a register, one pass over the tiles.
            var acc: [n_dim]F = @splat(zero);
            for (tile0..tile1) |tile| {
                const live = if (tile == tile0) live_first else if (tile + 1 == tile1) live_last else all;
                const p: F = scores[tile * lanes ..][0..lanes].*;
                const vt = c.v_cache[base + tile * tile_len ..][0..tile_len];
                inline for (0..n_dim) |d| {
                    const v = @select(f32, live, halfToVec(vt[d * lanes ..][0..lanes]), zero);
                    acc[d] = @mulAdd(F, v, p, acc[d]);
                }
            }
            inline for (0..n_dim) |d| out[d] = reduce16(acc[d]);
            return;
        };
        for (0..hd) |d| {
            // Cache cells outside the window may hold anything: zeros go in their place.
            var acc: [4]F = @splat(zero);
            for (tile0..tile1) |tile| {
                const raw = c.v_cache[base + tile * tile_len + d * lanes ..][0..lanes];
                const live = if (tile == tile0) live_first else if (tile + 1 == tile1) live_last else all;
                const v = @select(f32, live, halfToVec(raw), zero);
                const p: F = scores[tile * lanes ..][0..lanes].*;
                if (batched) {
                    acc[0] = @mulAdd(F, v, p, acc[0]);
                } else switch (tile % 4) {
                    inline 0...3 => |g| acc[g] = @mulAdd(F, v, p, acc[g]),
                    else => unreachable,
                }
            }
            out[d] = reduce16(if (batched) acc[0] else (acc[0] + acc[2]) + (acc[1] + acc[3]));
        }
    }

    /// One query row against the cache, in the order llama.cpp's CPU backend computes it
    /// (see docs/llm.md, "Numerics"): for a batch of two or more tokens ggml hands both
    /// products to llamafile's tinyBLAS (one 16-lane accumulator, `_mm512_reduce_add_ps`),
    /// for one token to `ggml_vec_dot_f16` (four 16-lane accumulators); the softmax uses
    /// ggml's vector `expf` and sums 16 cells at a time into an f64; the probabilities are
    /// rounded to F16 before they weight V. Cells past the query are zeros there, which
    /// change no sum, so only the cell index decides a lane.
    fn head(job: *const AttentionJob, scores: []f32, t: usize, h: usize) void {
        const c = job.c;
        const hp = c.model.hp;
        const hd = hp.head_dim;
        const kv_dim = hp.kvDim();
        const kvh = h / (hp.n_head / hp.n_head_kv);
        const pos = job.pos0 + t;
        const first = if (job.window > 0 and pos + 1 > job.window) pos + 1 - job.window else 0;
        const q = c.q[t * hp.qDim() + h * hd ..][0..hd];
        const layer_base = job.li * c.n_ctx * kv_dim;
        const batched = job.n >= 2;
        var max: f32 = -std.math.inf(f32);
        for (first..pos + 1) |p| {
            const k = c.k_cache[layer_base + p * kv_dim + kvh * hd ..][0..hd];
            const s = dotHalf(k, q, batched) * hp.kq_scale;
            scores[p] = s;
            max = @max(max, s);
        }
        var sum: f64 = 0;
        var chunk: [lanes]f32 = @splat(0);
        for (first..pos + 1) |p| {
            const e = expGgml(scores[p] - max);
            scores[p] = e;
            chunk[p % lanes] = e;
            if (p % lanes == lanes - 1 or p == pos) {
                sum += reduce16(chunk);
                chunk = @splat(0);
            }
        }
        const inv: f32 = @floatCast(1.0 / sum);
        for (scores[first .. pos + 1]) |*e| e.* = quant.f16ToF32(quant.f32ToF16(e.* * inv));
        const out = c.att[t * hp.qDim() + h * hd ..][0..hd];
        const v_base = c.v_cache[layer_base + kvh * hd ..];
        var d0: usize = 0;
        while (d0 < hd) : (d0 += lanes) {
            const width = @min(lanes, hd - d0);
            // acc[g][l] sums the cells p with p % 16 == l (and (p / 16) % 4 == g for one token).
            var acc: [4][lanes]F = @splat(@splat(@splat(0)));
            for (first..pos + 1) |p| {
                const v = halfVec(v_base[p * kv_dim + d0 ..], width);
                const g = if (batched) 0 else (p / lanes) % 4;
                acc[g][p % lanes] = @mulAdd(F, v, @splat(scores[p]), acc[g][p % lanes]);
            }
            var per_lane: [lanes]F = undefined;
            for (&per_lane, 0..) |*r, l| r.* = if (batched) acc[0][l] else (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
            const r: [lanes]f32 = reduceLanes(per_lane);
            @memcpy(out[d0..][0..width], r[0..width]);
        }
    }
};

const lanes = 16;
const F = @Vector(lanes, f32);
const F64x8 = @Vector(8, f64);

/// Which cells of tile `tile` lie in `[first, last]`.
fn cellMask(tile: usize, first: usize, last: usize) @Vector(lanes, bool) {
    const U = @Vector(lanes, u32);
    const p = @as(U, @splat(@intCast(tile * lanes))) + std.simd.iota(u32, lanes);
    const after = p >= @as(U, @splat(@intCast(first)));
    return @select(bool, after, p <= @as(U, @splat(@intCast(last))), @as(@Vector(lanes, bool), @splat(false)));
}

/// `dotHalf(k, q, batched)` of the 16 cells of a tile (`tile[d * 16 + cell]`), each cell
/// summed in exactly `dotHalf`'s order: lane l of a 16-lane accumulator there is a
/// vector over cells here, and the horizontal sums become sums of vectors.
inline fn tileDots(tile: []const u16, q: []const f32, batched: bool) F {
    const n = q.len;
    var r: [lanes]F = undefined;
    if (batched and n % lanes == 0) {
        for (0..lanes) |l| {
            var acc: F = @splat(0);
            var i: usize = 0;
            while (i < n) : (i += lanes) acc = @mulAdd(F, halfToVec(tile[(i + l) * lanes ..][0..lanes]), @splat(q[i + l]), acc);
            r[l] = acc;
        }
        return reduceLanes(r);
    }
    const np = n & ~@as(usize, 4 * lanes - 1);
    var lo: F64x8 = @splat(0);
    var hi: F64x8 = @splat(0);
    if (np > 0) {
        for (0..lanes) |l| {
            var acc: [4]F = @splat(@splat(0));
            var i: usize = 0;
            while (i < np) : (i += 4 * lanes) {
                inline for (0..4) |j| acc[j] = @mulAdd(F, halfToVec(tile[(i + j * lanes + l) * lanes ..][0..lanes]), @splat(q[i + j * lanes + l]), acc[j]);
            }
            r[l] = (acc[0] + acc[2]) + (acc[1] + acc[3]);
        }
        const s = reduceLanes(r);
        lo = @floatCast(@as(@Vector(8, f32), @shuffle(f32, s, undefined, std.simd.iota(i32, 8))));
        hi = @floatCast(@as(@Vector(8, f32), @shuffle(f32, s, undefined, std.simd.iota(i32, 8) + @as(@Vector(8, i32), @splat(8)))));
    }
    for (np..n) |i| {
        const p = halfToVec(tile[i * lanes ..][0..lanes]) * @as(F, @splat(q[i]));
        lo += @as(F64x8, @floatCast(@as(@Vector(8, f32), @shuffle(f32, p, undefined, std.simd.iota(i32, 8)))));
        hi += @as(F64x8, @floatCast(@as(@Vector(8, f32), @shuffle(f32, p, undefined, std.simd.iota(i32, 8) + @as(@Vector(8, i32), @splat(8))))));
    }
    const lo32: @Vector(8, f32) = @floatCast(lo);
    const hi32: @Vector(8, f32) = @floatCast(hi);
    return std.simd.join(lo32, hi32);
}

/// Each lane rounded to F16 and back.
fn roundHalf(v: F) F {
    if (has_f16c) return @floatCast(@as(@Vector(lanes, f16), @floatCast(v)));
    var out: [lanes]f32 = undefined;
    inline for (0..lanes) |i| out[i] = quant.f16ToF32(quant.f32ToF16(v[i]));
    return out;
}

/// `expGgml` on 16 lanes (the same bits): `_mm512_scalef_ps` is one correctly rounded
/// multiplication by 2^n, done here in two where 2^n is not a normal float.
fn expGgmlVec(x: F) F {
    const r: F = @splat(0x1.8p23);
    const z = @mulAdd(F, x, @splat(0x1.715476p+0), r);
    const n = z - r;
    const b = @mulAdd(F, -n, @splat(0x1.7f7d1cp-20), @mulAdd(F, -n, @splat(0x1.62e4p-1), x));
    const u = b * b;
    const p1 = @mulAdd(F, @mulAdd(F, @splat(0x1.0e4020p-7), b, @splat(0x1.573e2ep-5)), u, @mulAdd(F, @splat(0x1.555e66p-3), b, @splat(0x1.fffdb6p-2)));
    const j = @mulAdd(F, p1, u, @mulAdd(F, @splat(0x1.ffffecp-1), b, @splat(1.0)));
    const I = @Vector(lanes, i32);
    const ok = @abs(n) <= @as(F, @splat(192));
    const ni: I = @intFromFloat(@select(f32, ok, n, @as(F, @splat(0))));
    // n = a + b2 with 2^a exact for j and 2^b2 a normal float: one rounding, at the end.
    const low = ni < @as(I, @splat(-126));
    const high = ni > @as(I, @splat(127));
    const a = @select(i32, low, ni + @as(I, @splat(100)), @select(i32, high, ni - @as(I, @splat(64)), ni));
    const b2 = @select(i32, low, @as(I, @splat(-100)), @select(i32, high, @as(I, @splat(64)), @as(I, @splat(0))));
    const pow_a: F = @bitCast((a + @as(I, @splat(127))) << @splat(23));
    const pow_b: F = @bitCast((b2 + @as(I, @splat(127))) << @splat(23));
    const res = (j * pow_a) * pow_b;
    const alt = @select(f32, n <= @as(F, @splat(0)), @as(F, @splat(0)), @as(F, @splat(std.math.inf(f32))));
    return @select(f32, ok, res, alt);
}

const has_f16c = builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, .f16c);

/// 16 F16 values as f32 (exact): one `vcvtph2ps` with F16C, bit arithmetic without.
fn halfToVec(raw: *const [lanes]u16) F {
    if (has_f16c) return @floatCast(@as(@Vector(lanes, f16), @bitCast(raw.*)));
    var out: [lanes]f32 = undefined;
    inline for (0..lanes) |i| out[i] = quant.f16ToF32(raw[i]);
    return out;
}

/// `width` (at most 16) F16 values as a vector, zeros after them.
fn halfVec(raw: []const u16, width: usize) F {
    if (width == lanes) return halfToVec(raw[0..lanes]);
    var padded: [lanes]u16 = @splat(0);
    @memcpy(padded[0..width], raw[0..width]);
    return halfToVec(&padded);
}

/// `_mm512_reduce_add_ps` as GCC expands it: halves, quarters, then pairs.
fn reduce16(a: F) f32 {
    const t: @Vector(8, f32) = @shuffle(f32, a, undefined, [8]i32{ 8, 9, 10, 11, 12, 13, 14, 15 }) + @shuffle(f32, a, undefined, [8]i32{ 0, 1, 2, 3, 4, 5, 6, 7 });
    const u: @Vector(4, f32) = @shuffle(f32, t, undefined, [4]i32{ 4, 5, 6, 7 }) + @shuffle(f32, t, undefined, [4]i32{ 0, 1, 2, 3 });
    const w = u + @shuffle(f32, u, undefined, [4]i32{ 2, 3, 0, 1 });
    return w[0] + w[1];
}

/// `reduce16` for 16 outputs at once: `acc[l]` holds lane l of every output.
fn reduceLanes(acc: [lanes]F) F {
    var t: [8]F = undefined;
    for (0..8) |i| t[i] = acc[i + 8] + acc[i];
    var u: [4]F = undefined;
    for (0..4) |i| u[i] = t[i + 4] + t[i];
    return (u[0] + u[2]) + (u[1] + u[3]);
}

/// The dot product of an F16 row with an F16-valued f32 row, summed the way ggml does:
/// tinyBLAS for a batch (length a multiple of 16), else `ggml_vec_dot_f16` (64 at a
/// time in four accumulators, the rest added in f64).
fn dotHalf(k: []const u16, q: []const f32, batched: bool) f32 {
    const n = k.len;
    if (batched and n % lanes == 0) {
        var acc: F = @splat(0);
        var i: usize = 0;
        while (i < n) : (i += lanes) acc = @mulAdd(F, halfToVec(k[i..][0..lanes]), q[i..][0..lanes].*, acc);
        return reduce16(acc);
    }
    const np = n & ~@as(usize, 4 * lanes - 1);
    var sum: f64 = 0;
    if (np > 0) {
        var acc: [4]F = @splat(@splat(0));
        var i: usize = 0;
        while (i < np) : (i += 4 * lanes) {
            inline for (0..4) |j| acc[j] = @mulAdd(F, halfToVec(k[i + j * lanes ..][0..lanes]), q[i + j * lanes ..][0..lanes].*, acc[j]);
        }
        sum = reduce16((acc[0] + acc[2]) + (acc[1] + acc[3]));
    }
    for (np..n) |i| sum += @as(f64, quant.f16ToF32(k[i]) * q[i]);
    return @floatCast(sum);
}

/// ggml's vector `expf` (`ggml_v_expf`, the AVX-512 form), lane for lane.
fn expGgml(x: f32) f32 {
    const r: f32 = 0x1.8p23;
    const z = @mulAdd(f32, x, 0x1.715476p+0, r);
    const n = z - r;
    const b = @mulAdd(f32, -n, 0x1.7f7d1cp-20, @mulAdd(f32, -n, 0x1.62e4p-1, x));
    if (@abs(n) > 192) return if (n <= 0) 0 else std.math.inf(f32);
    const u = b * b;
    const j = @mulAdd(f32, @mulAdd(f32, @mulAdd(f32, 0x1.0e4020p-7, b, 0x1.573e2ep-5), u, @mulAdd(f32, 0x1.555e66p-3, b, 0x1.fffdb6p-2)), u, @mulAdd(f32, 0x1.ffffecp-1, b, 1.0));
    return std.math.ldexp(j, @as(i32, @intFromFloat(n)));
}

/// g = silu(g) * u over one token's row, as ggml's `ggml_vec_swiglu_f32`: 16 at a time
/// with its vector `expf`, the rest with the C library's.
fn swiglu(g: []f32, u: []const f32) void {
    var i: usize = 0;
    while (i + lanes <= g.len) : (i += lanes) {
        const x: F = g[i..][0..lanes].*;
        const one: F = @splat(1);
        g[i..][0..lanes].* = x / (one + expGgmlVec(@as(F, @splat(0)) - x)) * u[i..][0..lanes].*;
    }
    for (g[i..], u[i..]) |*x, y| x.* = x.* / (1 + @exp(-x.*)) * y;
}

fn rmsNorm(out: []f32, x: []const f32, w: []const f32, eps: f32) void {
    var sum: f64 = 0;
    for (x) |v| sum += @as(f64, v * v);
    const mean: f32 = @floatCast(sum / @as(f64, @floatFromInt(x.len)));
    const scale = 1.0 / @sqrt(mean + eps);
    for (out, x, w) |*o, v, g| o.* = v * scale * g;
}

fn rmsNormInPlace(x: []f32, w: []const f32, eps: f32) void {
    rmsNorm(x, x, w, eps);
}

/// cos/sin of position × frequency as ggml's RoPE cache builds them: the frequencies by
/// repeated multiplication from the C library's `powf`, the angles through its `cosf`
/// and `sinf` (the functions llama.cpp calls, so angles match it bit for bit).
fn ropeTable(cos: []f32, sin: []f32, dims: usize, base: f32, freq_scale: f32, pos0: usize, n: usize) void {
    const half = dims / 2;
    const theta_scale = powf(base, -2.0 / @as(f32, @floatFromInt(dims)));
    for (0..n) |t| {
        var theta: f32 = @floatFromInt(pos0 + t);
        for (0..half) |i| {
            const a = freq_scale * theta;
            cos[t * half + i] = cosf(a);
            sin[t * half + i] = sinf(a);
            theta *= theta_scale;
        }
    }
}

extern "c" fn powf(x: f32, y: f32) f32;
extern "c" fn cosf(x: f32) f32;
extern "c" fn sinf(x: f32) f32;

/// Rotates pairs; the first product of each sum is fused into it, as GCC contracts
/// ggml's `x0*cos - x1*sin` and `x0*sin + x1*cos`.
fn rope(x: []f32, cos: []const f32, sin: []const f32, dims: usize, neox: bool) void {
    const half = dims / 2;
    for (0..half) |i| {
        const a, const b = if (neox) .{ i, i + half } else .{ 2 * i, 2 * i + 1 };
        const x0 = x[a];
        const x1 = x[b];
        x[a] = @mulAdd(f32, x0, cos[i], -(x1 * sin[i]));
        x[b] = @mulAdd(f32, x0, sin[i], x1 * cos[i]);
    }
}

/// `geluOfHalf` of every F16 value, indexed by its bits.
pub fn fillGeluTable(table: *[1 << 16]u16) void {
    for (table, 0..) |*e, i| e.* = quant.f32ToF16(geluOfHalf(quant.f16ToF32(@intCast(i))));
}

/// `geluF16(x)` through the table: the same bits (the formula sees only the F16-rounded
/// input; the clamps look at `x` itself, as in `geluF16`).
inline fn geluLookup(table: *const [1 << 16]u16, x: f32) f32 {
    if (x <= -10) return 0;
    if (x >= 10) return x;
    return quant.f16ToF32(table[quant.f32ToF16(x)]);
}

/// GELU (tanh form) of the F16-rounded input, rounded to F16: ggml's table lookup (its
/// `1 + 0.044715 x²` contracted to one fused multiply-add, as GCC builds the table).
fn geluF16(x: f32) f32 {
    if (x <= -10) return 0;
    if (x >= 10) return x;
    return geluOfHalf(quant.f16ToF32(quant.f32ToF16(x)));
}

/// The formula of `geluF16` on an F16-valued input, rounded to F16.
fn geluOfHalf(h: f32) f32 {
    const sqrt_2_over_pi: f32 = 0.79788456080286535587989211986876;
    const y = 0.5 * h * (1.0 + std.math.tanh(sqrt_2_over_pi * h * @mulAdd(f32, 0.044715 * h, h, 1.0)));
    return quant.f16ToF32(quant.f32ToF16(y));
}

test "the GELU table gives geluF16's bits" {
    const table = try std.testing.allocator.create([1 << 16]u16);
    defer std.testing.allocator.destroy(table);
    fillGeluTable(table);
    var prng = std.Random.DefaultPrng.init(3);
    const r = prng.random();
    for (0..200_000) |i| {
        const x: f32 = if (i < 65536) quant.f16ToF32(@intCast(i)) else (r.float(f32) - 0.5) * 24;
        const want: u32 = @bitCast(geluF16(x));
        const got: u32 = @bitCast(geluLookup(table, x));
        if (x == x) try std.testing.expectEqual(want, got);
    }
}

test "tiled attention sums equal the per-cell ones bit for bit" {
    var prng = std.Random.DefaultPrng.init(11);
    const r = prng.random();
    var tile: [256 * lanes]u16 = undefined;
    var k: [256]u16 = undefined;
    var q: [256]f32 = undefined;
    for ([_]usize{ 2, 8, 16, 24, 32, 48, 64, 80, 128, 256 }) |hd| {
        for (0..20) |_| {
            for (tile[0 .. hd * lanes]) |*x| x.* = quant.f32ToF16((r.float(f32) - 0.5) * 4);
            for (q[0..hd]) |*x| x.* = quant.f16ToF32(quant.f32ToF16((r.float(f32) - 0.5) * 4));
            for ([_]bool{ false, true }) |batched| {
                const got: [lanes]f32 = tileDots(tile[0 .. hd * lanes], q[0..hd], batched);
                for (0..lanes) |cell| {
                    for (0..hd) |d| k[d] = tile[d * lanes + cell];
                    const want = dotHalf(k[0..hd], q[0..hd], batched);
                    try std.testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(got[cell])));
                }
            }
        }
    }
    for (0..20000) |i| {
        var x: [lanes]f32 = undefined;
        for (&x, 0..) |*v, l| v.* = switch ((i + l) % 4) {
            0 => -r.float(f32) * 120,
            1 => -r.float(f32) * 4,
            2 => (r.float(f32) - 0.5) * 200,
            else => -@as(f32, @floatFromInt(i % 130)) - r.float(f32),
        };
        const got: [lanes]f32 = expGgmlVec(x);
        for (x, got) |v, g| try std.testing.expectEqual(@as(u32, @bitCast(expGgml(v))), @as(u32, @bitCast(g)));
    }
}

test {
    _ = matmul_f32;
}
