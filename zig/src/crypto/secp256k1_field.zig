//! Arithmetic modulo the secp256k1 field prime p = 2^256 - 0x1000003D1 and the
//! group order n = 2^256 - c (c < 2^129).
//!
//! std's fields are generic Montgomery code (fiat-crypto) with divstep
//! inversion; these use the special form of both moduli instead: a 512-bit
//! product folds back with multiplications by the small 2^256 mod m, and
//! inversion is a fixed addition chain (Fermat). Everything here is constant
//! time: no branch or memory index depends on values, only on public constants.
//! Limbs are taken from u256 values with shifts, so no endianness is assumed.

const std = @import("std");

/// 256x256 -> 512-bit schoolbook product, as 8 little-endian limbs.
fn mulWide(a: u256, b: u256) [8]u64 {
    const x = limbs(a);
    const y = limbs(b);
    var t: [8]u64 = @splat(0);
    inline for (0..4) |i| {
        var carry: u64 = 0;
        inline for (0..4) |j| {
            const acc = @as(u128, x[i]) * y[j] + t[i + j] + carry;
            t[i + j] = @truncate(acc);
            carry = @truncate(acc >> 64);
        }
        t[i + 4] = carry;
    }
    return t;
}

/// Squaring: the six cross products are computed once and doubled.
fn sqrWide(a: u256) [8]u64 {
    const x = limbs(a);
    var t: [8]u64 = @splat(0);
    inline for (0..3) |i| {
        var carry: u64 = 0;
        inline for (i + 1..4) |j| {
            const acc = @as(u128, x[i]) * x[j] + t[i + j] + carry;
            t[i + j] = @truncate(acc);
            carry = @truncate(acc >> 64);
        }
        t[i + 4] = carry;
    }
    // Double the cross products, then add the squares on the diagonal.
    var top: u64 = 0;
    inline for (0..8) |i| {
        const v = t[i];
        t[i] = (v << 1) | top;
        top = v >> 63;
    }
    var carry: u128 = 0;
    inline for (0..4) |i| {
        const sq = @as(u128, x[i]) * x[i];
        carry += @as(u128, t[2 * i]) + @as(u64, @truncate(sq));
        t[2 * i] = @truncate(carry);
        carry >>= 64;
        carry += @as(u128, t[2 * i + 1]) + @as(u64, @truncate(sq >> 64));
        t[2 * i + 1] = @truncate(carry);
        carry >>= 64;
    }
    return t;
}

fn limbs(a: u256) [4]u64 {
    return .{ @truncate(a), @truncate(a >> 64), @truncate(a >> 128), @truncate(a >> 192) };
}

fn fromLimbs(comptime len: usize, l: []const u64) @Int(.unsigned, 64 * len) {
    const T = @Int(.unsigned, 64 * len);
    var v: T = 0;
    inline for (0..len) |i| v |= @as(T, l[i]) << (64 * i);
    return v;
}

/// All-ones when `bit` is 1, zero otherwise.
fn mask(bit: u1) u256 {
    return @as(u256, 0) -% bit;
}

/// An element of GF(p), weakly reduced: any u256 value congruent mod p (so
/// p..2^256-1 may appear). `normalize` gives the canonical value.
pub const Fe = struct {
    v: u256,

    /// 2^256 mod p.
    const c: u64 = 0x1000003D1;
    pub const p: u256 = @as(u256, 0) -% c;

    pub const zero: Fe = .{ .v = 0 };
    pub const one: Fe = .{ .v = 1 };

    /// Big-endian decoding; null for values >= p (non-canonical).
    pub fn fromBytes(b: *const [32]u8) ?Fe {
        const v = std.mem.readInt(u256, b, .big);
        return if (v < p) .{ .v = v } else null;
    }

    pub fn toBytes(a: Fe) [32]u8 {
        var b: [32]u8 = undefined;
        std.mem.writeInt(u256, &b, a.normalize().v, .big);
        return b;
    }

    pub fn normalize(a: Fe) Fe {
        const t = @subWithOverflow(a.v, p);
        // Keep a when a < p (the subtraction borrowed).
        return .{ .v = (a.v & mask(t[1])) | (t[0] & ~mask(t[1])) };
    }

    pub fn isZero(a: Fe) bool {
        return a.normalize().v == 0;
    }

    pub fn eql(a: Fe, b: Fe) bool {
        return a.sub(b).isZero();
    }

    pub fn isOdd(a: Fe) bool {
        return a.normalize().v & 1 == 1;
    }

    pub fn add(a: Fe, b: Fe) Fe {
        // A carry out means + 2^256, i.e. + c. The second fold cannot carry:
        // after a first carry the sum is below 2^256 - 1 and adding c can
        // wrap at most once more, leaving a value below c.
        const s = @addWithOverflow(a.v, b.v);
        const t = @addWithOverflow(s[0], c & mask(s[1]));
        return .{ .v = t[0] +% (c & mask(t[1])) };
    }

    pub fn sub(a: Fe, b: Fe) Fe {
        // A borrow means - 2^256, i.e. - c; a second borrow repeats it, after
        // which the value is far above c.
        const s = @subWithOverflow(a.v, b.v);
        const t = @subWithOverflow(s[0], c & mask(s[1]));
        return .{ .v = t[0] -% (c & mask(t[1])) };
    }

    pub fn neg(a: Fe) Fe {
        return zero.sub(a);
    }

    pub fn dbl(a: Fe) Fe {
        return a.add(a);
    }

    /// Multiplication by a small constant (3, 7, 8, 21 in the formulas).
    pub fn mulSmall(a: Fe, comptime k: u32) Fe {
        const x = limbs(a.v);
        var t: [5]u64 = undefined;
        var carry: u128 = 0;
        inline for (0..4) |i| {
            carry += @as(u128, x[i]) * k;
            t[i] = @truncate(carry);
            carry >>= 64;
        }
        t[4] = @truncate(carry);
        return fold(fromLimbs(4, t[0..4]), t[4]);
    }

    /// lo + hi * 2^256 with hi < 2^64, reduced below 2^256.
    fn fold(lo: u256, hi: u64) Fe {
        const s = @addWithOverflow(lo, @as(u256, @as(u128, hi) * c));
        return .{ .v = s[0] +% (c & mask(s[1])) };
    }

    fn reduce(t: [8]u64) Fe {
        // t = lo + hi 2^256 = lo + hi c (mod p); hi c < 2^290.
        var r: [4]u64 = undefined;
        var acc: u128 = 0;
        inline for (0..4) |i| {
            acc += @as(u128, t[i + 4]) * c + t[i];
            r[i] = @truncate(acc);
            acc >>= 64;
        }
        return fold(fromLimbs(4, &r), @truncate(acc));
    }

    pub fn mul(a: Fe, b: Fe) Fe {
        return reduce(mulWide(a.v, b.v));
    }

    pub fn sq(a: Fe) Fe {
        return reduce(sqrWide(a.v));
    }

    pub fn sqn(a: Fe, comptime k: usize) Fe {
        var r = a;
        for (0..k) |_| r = r.sq();
        return r;
    }

    /// Conditional move, constant time.
    pub fn cMov(a: *Fe, b: Fe, bit: u1) void {
        const m = mask(bit);
        a.v = (a.v & ~m) | (b.v & m);
    }

    /// a^(2^223 - 1) and the smaller blocks the exponent chains reuse.
    const Blocks = struct { x2: Fe, x22: Fe, x223: Fe };

    fn blocks(a: Fe) Blocks {
        const x2 = a.sq().mul(a);
        const x3 = x2.sq().mul(a);
        const x6 = x3.sqn(3).mul(x3);
        const x9 = x6.sqn(3).mul(x3);
        const x11 = x9.sqn(2).mul(x2);
        const x22 = x11.sqn(11).mul(x11);
        const x44 = x22.sqn(22).mul(x22);
        const x88 = x44.sqn(44).mul(x44);
        const x176 = x88.sqn(88).mul(x88);
        const x220 = x176.sqn(44).mul(x44);
        const x223 = x220.sqn(3).mul(x3);
        return .{ .x2 = x2, .x22 = x22, .x223 = x223 };
    }

    /// a^(p-2) = 1/a (0 for 0). The exponent in binary is 223 ones, a zero,
    /// 22 ones, then 0000101101.
    pub fn invert(a: Fe) Fe {
        const b = blocks(a);
        var t = b.x223.sqn(23).mul(b.x22);
        t = t.sqn(5).mul(a);
        t = t.sqn(3).mul(b.x2);
        return t.sqn(2).mul(a);
    }

    /// A square root, a^((p+1)/4) (p = 3 mod 4), or null for non-squares. The
    /// exponent is 223 ones, a zero, 22 ones, then 00001100.
    pub fn sqrt(a: Fe) ?Fe {
        const b = blocks(a);
        var t = b.x223.sqn(23).mul(b.x22);
        t = t.sqn(6).mul(b.x2).sqn(2);
        return if (t.sq().eql(a)) t else null;
    }
};

// ---------------------------------------------------------------------------
// Scalars mod n

pub const n: u256 = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
/// 2^256 - n, three limbs (the top one is 1).
const nc: [3]u64 = .{ 0x402DA1732FC9BEBF, 0x4551231950B75FC4, 1 };

/// lo + hi * nc, with hi of any (comptime) length: the product has len+3 limbs.
fn foldN(comptime len: usize, lo: [4]u64, hi: [len]u64) [len + 4]u64 {
    var t: [len + 4]u64 = @splat(0);
    inline for (0..4) |i| t[i] = lo[i];
    inline for (0..len) |i| {
        var carry: u128 = 0;
        inline for (0..3) |j| {
            carry += @as(u128, hi[i]) * nc[j] + t[i + j];
            t[i + j] = @truncate(carry);
            carry >>= 64;
        }
        // Propagate into the remaining limbs (the sum never exceeds len+4 limbs).
        inline for (i + 3..len + 4) |j| {
            carry += t[j];
            t[j] = @truncate(carry);
            carry >>= 64;
        }
    }
    return t;
}

/// a * b mod n, canonical. 2^256 = nc (mod n), so the 512-bit product folds
/// three times: 385+1 bits, then 260, then just over 256; one conditional
/// subtraction finishes.
pub fn scalarMul(a: u256, b: u256) u256 {
    const t = mulWide(a, b);
    const m1 = foldN(4, t[0..4].*, t[4..8].*); // < 2^386
    const m2 = foldN(3, m1[0..4].*, m1[4..7].*); // < 2^260
    const m3 = foldN(1, m2[0..4].*, m2[4..5].*); // < 2^256 + 2^133
    const v = fromLimbs(5, &m3);
    const d = @subWithOverflow(v, n);
    const keep: u320 = @as(u320, 0) -% d[1];
    return @truncate((v & keep) | (d[0] & ~keep));
}

/// a^(n-2) = 1/a mod n (0 for 0), constant time: a fixed 4-bit window over
/// the public exponent, so the operation sequence is the same for every a.
pub fn scalarInvert(a: u256) u256 {
    const e = n - 2;
    var table: [16]u256 = undefined;
    table[0] = 1;
    table[1] = a;
    for (2..16) |i| table[i] = scalarMul(table[i - 1], a);
    var r: u256 = table[@as(u4, @truncate(e >> 252))];
    var shift: u9 = 252;
    while (shift > 0) {
        shift -= 4;
        inline for (0..4) |_| r = scalarMul(r, r);
        // The digit comes from the public exponent, not from a.
        const digit: u4 = @truncate(e >> @intCast(shift));
        if (digit != 0) r = scalarMul(r, table[digit]);
    }
    return r;
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;

fn modMul(a: u256, b: u256, m: u256) u256 {
    return @intCast((@as(u512, a) * b) % m);
}

test "field arithmetic matches big-integer arithmetic" {
    var seed: [64]u8 = undefined;
    var prng = std.Random.DefaultPrng.init(42);
    const edge = [_]u256{ 0, 1, 2, Fe.p - 1, Fe.p, Fe.p + 1, ~@as(u256, 0), ~@as(u256, 0) - 1, 1 << 255 };
    for (0..2000) |i| {
        prng.random().bytes(&seed);
        var a = std.mem.readInt(u256, seed[0..32], .little);
        var b = std.mem.readInt(u256, seed[32..64], .little);
        if (i < edge.len * edge.len) {
            a = edge[i % edge.len];
            b = edge[i / edge.len];
        }
        const fa: Fe = .{ .v = a };
        const fb: Fe = .{ .v = b };
        const am = a % Fe.p;
        const bm = b % Fe.p;
        try testing.expectEqual(modMul(am, bm, Fe.p), fa.mul(fb).normalize().v);
        try testing.expectEqual(modMul(am, am, Fe.p), fa.sq().normalize().v);
        try testing.expectEqual(@as(u256, @intCast((@as(u257, am) + bm) % Fe.p)), fa.add(fb).normalize().v);
        try testing.expectEqual(@as(u256, @intCast((@as(u257, am) + Fe.p - bm) % Fe.p)), fa.sub(fb).normalize().v);
        try testing.expectEqual(modMul(am, 21, Fe.p), fa.mulSmall(21).normalize().v);
        try testing.expectEqual(modMul(a % n, b % n, n), scalarMul(a % n, b % n));
        if (i < 50 and am != 0) {
            try testing.expectEqual(@as(u256, 1), fa.invert().mul(fa).normalize().v);
            const s = fa.sq().sqrt() orelse return error.TestExpectedSqrt;
            try testing.expect(s.sq().eql(fa.sq()));
            try testing.expectEqual(@as(u256, 1), scalarMul(scalarInvert(a % n), a % n));
        }
    }
    try testing.expectEqual(@as(u256, 0), Fe.zero.invert().v);
    try testing.expectEqual(@as(u256, 0), scalarInvert(0));
    // 7 + 0^3 is not a square mod p, so no curve point has x = 0.
    try testing.expect((Fe{ .v = 7 }).sqrt() == null);
}
