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
