//! F32 weights times F32 activations, summed in the orders llama.cpp's CPU backend uses
//! on AVX-512 (docs/llm.md, "Numerics"):
//! - a batch of two or more tokens with a row length that is a multiple of 16 goes to
//!   llamafile's tinyBLAS: one 16-lane accumulator per output, a fused multiply-add per
//!   16 elements, then `_mm512_reduce_add_ps`;
//! - everything else to `ggml_vec_dot_f32`: four 16-lane accumulators per 64 elements,
//!   (a0 + a2) + (a1 + a3) reduced the same way, then the remaining elements one fused
//!   multiply-add at a time (GCC contracts `sumf += x[i]*y[i]`).
//! The batched kernel computes tiles of 4 rows × 4 tokens in registers; every output
//! still takes exactly its own sequence of operations.

const std = @import("std");

const lanes = 16;
const F = @Vector(lanes, f32);

inline fn load(p: [*]const u8, i: usize) F {
    return @as(*align(1) const [lanes]f32, @ptrCast(p + i * 4)).*;
}

/// `_mm512_reduce_add_ps` as GCC expands it: halves, quarters, then pairs.
inline fn reduce16(a: F) f32 {
    const t: @Vector(8, f32) = @shuffle(f32, a, undefined, [8]i32{ 8, 9, 10, 11, 12, 13, 14, 15 }) + @shuffle(f32, a, undefined, [8]i32{ 0, 1, 2, 3, 4, 5, 6, 7 });
    const u: @Vector(4, f32) = @shuffle(f32, t, undefined, [4]i32{ 4, 5, 6, 7 }) + @shuffle(f32, t, undefined, [4]i32{ 0, 1, 2, 3 });
    const w = u + @shuffle(f32, u, undefined, [4]i32{ 2, 3, 0, 1 });
    return w[0] + w[1];
}

/// `reduce16` of 16 vectors at once: lane o of the result is `reduce16(v[o])`, the same
/// additions (each a sum of the same two values) done on whole vectors after shuffles.
inline fn reduce16x16(v: [16]F) F {
    const M = @Vector(16, i32);
    // halves: lanes 0-7 / 8-15 hold t = a[i + 8] + a[i] of outputs 2k / 2k + 1
    var t: [8]F = undefined;
    inline for (0..8) |k| t[k] = @shuffle(f32, v[2 * k], v[2 * k + 1], M{ 0, 1, 2, 3, 4, 5, 6, 7, ~@as(i32, 0), ~@as(i32, 1), ~@as(i32, 2), ~@as(i32, 3), ~@as(i32, 4), ~@as(i32, 5), ~@as(i32, 6), ~@as(i32, 7) }) +
        @shuffle(f32, v[2 * k], v[2 * k + 1], M{ 8, 9, 10, 11, 12, 13, 14, 15, ~@as(i32, 8), ~@as(i32, 9), ~@as(i32, 10), ~@as(i32, 11), ~@as(i32, 12), ~@as(i32, 13), ~@as(i32, 14), ~@as(i32, 15) });
    // quarters: lanes 4c..4c+3 hold u = t[i + 4] + t[i] of output 4m + c
    var u: [4]F = undefined;
    inline for (0..4) |m| u[m] = @shuffle(f32, t[2 * m], t[2 * m + 1], M{ 0, 1, 2, 3, 8, 9, 10, 11, ~@as(i32, 0), ~@as(i32, 1), ~@as(i32, 2), ~@as(i32, 3), ~@as(i32, 8), ~@as(i32, 9), ~@as(i32, 10), ~@as(i32, 11) }) +
        @shuffle(f32, t[2 * m], t[2 * m + 1], M{ 4, 5, 6, 7, 12, 13, 14, 15, ~@as(i32, 4), ~@as(i32, 5), ~@as(i32, 6), ~@as(i32, 7), ~@as(i32, 12), ~@as(i32, 13), ~@as(i32, 14), ~@as(i32, 15) });
    // pairs: lanes 2c, 2c + 1 hold (u0 + u2, u1 + u3) of output 8n + c
    var w: [2]F = undefined;
    inline for (0..2) |n| w[n] = @shuffle(f32, u[2 * n], u[2 * n + 1], M{ 0, 1, 4, 5, 8, 9, 12, 13, ~@as(i32, 0), ~@as(i32, 1), ~@as(i32, 4), ~@as(i32, 5), ~@as(i32, 8), ~@as(i32, 9), ~@as(i32, 12), ~@as(i32, 13) }) +
        @shuffle(f32, u[2 * n], u[2 * n + 1], M{ 2, 3, 6, 7, 10, 11, 14, 15, ~@as(i32, 2), ~@as(i32, 3), ~@as(i32, 6), ~@as(i32, 7), ~@as(i32, 10), ~@as(i32, 11), ~@as(i32, 14), ~@as(i32, 15) });
    const evens = M{ 0, 2, 4, 6, 8, 10, 12, 14, ~@as(i32, 0), ~@as(i32, 2), ~@as(i32, 4), ~@as(i32, 6), ~@as(i32, 8), ~@as(i32, 10), ~@as(i32, 12), ~@as(i32, 14) };
    const odds = M{ 1, 3, 5, 7, 9, 11, 13, 15, ~@as(i32, 1), ~@as(i32, 3), ~@as(i32, 5), ~@as(i32, 7), ~@as(i32, 9), ~@as(i32, 11), ~@as(i32, 13), ~@as(i32, 15) };
    return @shuffle(f32, w[0], w[1], evens) + @shuffle(f32, w[0], w[1], odds);
}

/// `ggml_vec_dot_f32` of `n` weights at `w` with `n` activations at `x`.
pub fn dotVec(w: [*]const u8, x: [*]const u8, n: usize) f32 {
    const np = n & ~@as(usize, 4 * lanes - 1);
    var sum: f32 = 0;
    if (np > 0) {
        var acc: [4]F = @splat(@splat(0));
        var i: usize = 0;
        while (i < np) : (i += 4 * lanes) {
            inline for (0..4) |j| acc[j] = @mulAdd(F, load(w, i + j * lanes), load(x, i + j * lanes), acc[j]);
        }
        sum = reduce16((acc[0] + acc[2]) + (acc[1] + acc[3]));
    }
    const wf: [*]align(1) const f32 = @ptrCast(w);
    const xf: [*]align(1) const f32 = @ptrCast(x);
    for (np..n) |i| sum = @mulAdd(f32, wf[i], xf[i], sum);
    return sum;
}

/// tinyBLAS's sums for `R` rows × `T` tokens (`cols` a multiple of 16).
inline fn tile(comptime R: usize, comptime T: usize, w: [*]const u8, row_bytes: usize, act: [*]const u8, act_stride: usize, cols: usize, out: [*]f32, out_stride: usize) void {
    var acc: [R][T]F = @splat(@splat(@splat(0)));
    var i: usize = 0;
    while (i < cols) : (i += lanes) {
        var a: [R]F = undefined;
        inline for (0..R) |r| a[r] = load(w + r * row_bytes, i);
        inline for (0..T) |t| {
            const b = load(act + t * act_stride, i);
            inline for (0..R) |r| acc[r][t] = @mulAdd(F, a[r], b, acc[r][t]);
        }
    }
    if (R * T == 16) {
        var all: [16]F = undefined;
        inline for (0..R) |r| inline for (0..T) |t| {
            all[r * T + t] = acc[r][t];
        };
        const sums: [16]f32 = reduce16x16(all);
        inline for (0..R) |r| inline for (0..T) |t| {
            out[t * out_stride + r] = sums[r * T + t];
        };
        return;
    }
    inline for (0..R) |r| inline for (0..T) |t| {
        out[t * out_stride + r] = reduce16(acc[r][t]);
    };
}

/// Rows `lo..hi` of an F32 weight matrix times `n_tok` F32 activation rows (`act_stride`
/// bytes apart): `out[tok * out_stride + row]`, as `quant.matmulRows` lays it out.
pub fn matmulRows(w: [*]const u8, row_bytes: usize, cols: usize, lo: usize, hi: usize, act: [*]const u8, act_stride: usize, n_tok: usize, out: [*]f32, out_stride: usize) void {
    if (n_tok < 2 or cols % lanes != 0) {
        for (0..n_tok) |t| for (lo..hi) |r| {
            out[t * out_stride + r] = dotVec(w + r * row_bytes, act + t * act_stride, cols);
        };
        return;
    }
    // Rows in blocks that stay in L1 while every token passes over them.
    const block = @max(4, (16 << 10) / row_bytes);
    var r0 = lo;
    while (r0 < hi) : (r0 += block) {
        const r1 = @min(hi, r0 + block);
        var t: usize = 0;
        while (t < n_tok) {
            const left = n_tok - t;
            const a = act + t * act_stride;
            const o = out + t * out_stride;
            var r = r0;
            if (left >= 4) {
                while (r + 4 <= r1) : (r += 4) tile(4, 4, w + r * row_bytes, row_bytes, a, act_stride, cols, o + r, out_stride);
                while (r < r1) : (r += 1) tile(1, 4, w + r * row_bytes, row_bytes, a, act_stride, cols, o + r, out_stride);
                t += 4;
            } else {
                while (r + 4 <= r1) : (r += 4) tile(4, 1, w + r * row_bytes, row_bytes, a, act_stride, cols, o + r, out_stride);
                while (r < r1) : (r += 1) tile(1, 1, w + r * row_bytes, row_bytes, a, act_stride, cols, o + r, out_stride);
                t += 1;
            }
        }
    }
}

test "reduce16x16 is reduce16 on each vector" {
    var prng = std.Random.DefaultPrng.init(9);
    const r = prng.random();
    for (0..1000) |_| {
        var v: [16]F = undefined;
        for (&v) |*x| {
            var a: [16]f32 = undefined;
            for (&a) |*e| e.* = (r.float(f32) - 0.5) * std.math.pow(f32, 2, @floatFromInt(r.intRangeAtMost(i32, -20, 20)));
            x.* = a;
        }
        const got: [16]f32 = reduce16x16(v);
        for (v, got) |x, g| try std.testing.expectEqual(@as(u32, @bitCast(reduce16(x))), @as(u32, @bitCast(g)));
    }
}

test "the batched kernel gives every output the one-output tinyBLAS sum" {
    var prng = std.Random.DefaultPrng.init(5);
    const r = prng.random();
    const rows = 13;
    const n_tok = 11;
    for ([_]usize{ 16, 64, 80, 172 }) |cols| {
        var w: [rows * 172]f32 = undefined;
        var x: [n_tok * 172]f32 = undefined;
        for (&w) |*v| v.* = r.float(f32) - 0.5;
        for (&x) |*v| v.* = r.floatNorm(f32);
        var out: [n_tok * rows]f32 = undefined;
        matmulRows(@ptrCast(&w), cols * 4, cols, 0, rows, @ptrCast(&x), cols * 4, n_tok, &out, rows);
        for (0..n_tok) |t| for (0..rows) |row| {
            const wr = w[row * cols ..][0..cols];
            const xr = x[t * cols ..][0..cols];
            var want: f32 = undefined;
            if (cols % lanes == 0) {
                var acc: F = @splat(0);
                var i: usize = 0;
                while (i < cols) : (i += lanes) acc = @mulAdd(F, wr[i..][0..lanes].*, xr[i..][0..lanes].*, acc);
                want = reduce16(acc);
            } else want = dotVec(@ptrCast(wr.ptr), @ptrCast(xr.ptr), cols);
            try std.testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(out[t * rows + row])));
            // and the one-token order is close to the exact sum
            var exact: f64 = 0;
            for (wr, xr) |a, b| exact += @as(f64, a) * b;
            try std.testing.expectApproxEqAbs(exact, dotVec(@ptrCast(wr.ptr), @ptrCast(xr.ptr), cols), 1e-4);
        };
    }
}
