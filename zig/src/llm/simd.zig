//! Integer dot-product building blocks on 32 bytes, in the shapes of x86's
//! `vpmaddubsw` (u8 × i8 → pairwise i16 sums), `vpmaddwd` (i16 × i16 → pairwise i32
//! sums) and AVX-512 VNNI's `vpdpbusd` (u8 × i8 → sums of four into i32). On a CPU level
//! with the instruction they are LLVM's x86 intrinsics; elsewhere plain vector code with
//! the same results. Every caller keeps its operands inside the ranges where the
//! instructions cannot saturate (|u| ≤ 128 against |i| ≤ 127 in `maddubs`), so the
//! integer results are exact everywhere.

const std = @import("std");
const builtin = @import("builtin");

fn x86Has(comptime f: std.Target.x86.Feature) bool {
    return builtin.cpu.arch == .x86_64 and std.Target.x86.featureSetHas(builtin.cpu.features, f);
}

pub const has_avx2 = x86Has(.avx2);
/// 512-bit byte/word instructions (the prompt kernels' 16-row tiles).
pub const has_avx512bw = x86Has(.avx512bw);
/// 256-bit `vpdpbusd`: AVX-512 VNNI with VL, or AVX-VNNI.
pub const has_vnni = (x86Has(.avx512vnni) and x86Has(.avx512vl)) or x86Has(.avxvnni);

pub const I8x32 = @Vector(32, i8);
pub const U8x32 = @Vector(32, u8);
pub const I16x16 = @Vector(16, i16);
pub const I32x8 = @Vector(8, i32);
pub const F32x8 = @Vector(8, f32);
pub const F32x4 = @Vector(4, f32);

pub const U8x64 = @Vector(64, u8);
pub const I8x64 = @Vector(64, i8);
pub const I16x32 = @Vector(32, i16);
pub const I32x16 = @Vector(16, i32);
pub const F32x16 = @Vector(16, f32);

extern fn @"llvm.x86.avx2.pmadd.ub.sw"(U8x32, I8x32) I16x16;
extern fn @"llvm.x86.avx512.pmaddubs.w.512"(U8x64, I8x64) I16x32;
extern fn @"llvm.x86.avx512.pmaddw.d.512"(I16x32, I16x32) I32x16;
extern fn @"llvm.x86.avx2.pmadd.wd"(I16x16, I16x16) I32x8;
extern fn @"llvm.x86.avx2.psign.b"(I8x32, I8x32) I8x32;
extern fn @"llvm.x86.avx512.vpdpbusd.256"(I32x8, U8x32, I8x32) I32x8;
extern fn @"llvm.x86.avxvnni.vpdpbusd.256"(I32x8, U8x32, I8x32) I32x8;

/// Sums of adjacent products of unsigned `a` and signed `b`: 16 lanes.
pub inline fn maddubs(a: U8x32, b: I8x32) I16x16 {
    if (has_avx2) return @"llvm.x86.avx2.pmadd.ub.sw"(a, b);
    const p: @Vector(32, i32) = @as(@Vector(32, i32), a) * @as(@Vector(32, i32), b);
    return @intCast(pairs(i32, 32, p));
}

/// Sums of adjacent products of two i16 vectors: 8 lanes.
pub inline fn maddwd(a: I16x16, b: I16x16) I32x8 {
    if (has_avx2) return @"llvm.x86.avx2.pmadd.wd"(a, b);
    const p: @Vector(16, i32) = @as(@Vector(16, i32), a) * @as(@Vector(16, i32), b);
    return pairs(i32, 16, p);
}

/// `maddubs` on 64 bytes: 32 lanes.
pub inline fn maddubs64(a: U8x64, b: I8x64) I16x32 {
    if (has_avx512bw) return @"llvm.x86.avx512.pmaddubs.w.512"(a, b);
    const p: @Vector(64, i32) = @as(@Vector(64, i32), a) * @as(@Vector(64, i32), b);
    return @intCast(@shuffle(i32, p, undefined, even32) + @shuffle(i32, p, undefined, odd32));
}

/// `maddwd` on 32 words: 16 lanes.
pub inline fn maddwd32(a: I16x32, b: I16x32) I32x16 {
    if (has_avx512bw) return @"llvm.x86.avx512.pmaddw.d.512"(a, b);
    const p: @Vector(32, i32) = @as(@Vector(32, i32), a) * @as(@Vector(32, i32), b);
    return @shuffle(i32, p, undefined, even16) + @shuffle(i32, p, undefined, odd16);
}

/// Sums of each four products of unsigned `a` and signed `b` added to `acc`: 8 lanes.
pub inline fn dpbusd(acc: I32x8, a: U8x32, b: I8x32) I32x8 {
    if (has_vnni) {
        if (x86Has(.avx512vnni) and x86Has(.avx512vl)) return @"llvm.x86.avx512.vpdpbusd.256"(acc, a, b);
        return @"llvm.x86.avxvnni.vpdpbusd.256"(acc, a, b);
    }
    return acc + maddwd(maddubs(a, b), @splat(1));
}

/// `b` with the sign of `a` applied (zero where `a` is zero).
pub inline fn signOf(b: I8x32, a: I8x32) I8x32 {
    if (has_avx2) return @"llvm.x86.avx2.psign.b"(b, a);
    const zero: I8x32 = @splat(0);
    return @select(i8, a < zero, zero -% b, @select(i8, a == zero, zero, b));
}

/// Signed × signed 32-byte dot product as 8 lanes of four-product sums, through the
/// unsigned × signed instructions: |a| · (b · sign a). `abs_a` is `@abs(a)`.
pub inline fn dotI8(abs_a: U8x32, a: I8x32, b: I8x32) I32x8 {
    return dpbusd(@splat(0), abs_a, signOf(b, a));
}

fn pairIndex(comptime n: usize, comptime odd: i32) [n]i32 {
    var m: [n]i32 = undefined;
    for (&m, 0..) |*x, i| x.* = 2 * @as(i32, @intCast(i)) + odd;
    return m;
}

const even8 = pairIndex(8, 0);
const odd8 = pairIndex(8, 1);
const even16 = pairIndex(16, 0);
const odd16 = pairIndex(16, 1);
const even32 = pairIndex(32, 0);
const odd32 = pairIndex(32, 1);

inline fn pairs(comptime T: type, comptime n: usize, v: @Vector(n, T)) @Vector(n / 2, T) {
    const ev = if (n == 32) even16 else even8;
    const od = if (n == 32) odd16 else odd8;
    return @shuffle(T, v, undefined, ev) + @shuffle(T, v, undefined, od);
}

/// Horizontal sum of 8 lanes in the order of ggml's `hsum_float_8`:
/// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
pub inline fn hsum8(v: F32x8) f32 {
    const lo: F32x4 = @shuffle(f32, v, undefined, [4]i32{ 0, 1, 2, 3 });
    const hi: F32x4 = @shuffle(f32, v, undefined, [4]i32{ 4, 5, 6, 7 });
    return hsum4(lo + hi);
}

/// (l0 + l2) + (l1 + l3), as `movehl` + `movehdup` + `add_ss` do.
pub inline fn hsum4(v: F32x4) f32 {
    return (v[0] + v[2]) + (v[1] + v[3]);
}

test "the integer helpers equal their definitions" {
    var prng = std.Random.DefaultPrng.init(7);
    const r = prng.random();
    for (0..200) |_| {
        var a: [32]i8 = undefined;
        var b: [32]i8 = undefined;
        r.bytes(std.mem.asBytes(&a));
        r.bytes(std.mem.asBytes(&b));
        for (&b) |*x| x.* = @max(x.*, -127);
        const av: I8x32 = a;
        const got: [8]i32 = dotI8(@abs(av), av, b);
        for (0..8) |l| {
            var s: i32 = 0;
            for (0..4) |k| s += @as(i32, a[4 * l + k]) * b[4 * l + k];
            try std.testing.expectEqual(s, got[l]);
        }
        var u: [32]u8 = undefined;
        for (&u, a) |*x, y| x.* = @as(u8, @bitCast(y)) & 63;
        const m: [16]i16 = maddubs(u, b);
        for (0..16) |l| try std.testing.expectEqual(@as(i32, u[2 * l]) * b[2 * l] + @as(i32, u[2 * l + 1]) * b[2 * l + 1], m[l]);
    }
}
