//! Scalar multiplication on secp256k1:
//!  - `mulBase`: k*G for secret k, constant time, from a table of 64 windows x
//!    15 affine multiples of G, so k*G costs 64 mixed additions and no
//!    doubling (std's fixed-base path does 64 additions *and* 256 doublings);
//!  - `mulDoubleBaseVar`: u1*G + u2*P for public scalars (verify, recover),
//!    Strauss-Shamir over the GLV split (each scalar becomes two ~128-bit
//!    halves via the endomorphism (x, y) -> (beta x, y) = lambda (x, y)), so
//!    only ~128 doublings are shared by four wNAF digit streams.
//!
//! The G tables (~64 KiB) are built once, on first use, from G itself. Built
//! at comptime they cost ~11 s of compiler time per CPU level (measured; the
//! library is compiled for three levels on every `npm install`), and a
//! generated source file would be ~190 KiB of hex to review. At run time the
//! build is ~1000 point additions plus one batched inversion, well under a
//! millisecond, once per process (lazy.zig makes it thread-safe).

const std = @import("std");
const field = @import("secp256k1_field.zig");
const point = @import("secp256k1_point.zig");
const Fe = field.Fe;
const Affine = point.Affine;
const Jacobian = point.Jacobian;
const Projective = point.Projective;
const lazy = @import("lazy.zig");

const windows = 64;
/// Odd multiples G, 3G, ..., 127G for the width-8 wNAF of the G scalars.
const g_wnaf_width = 8;
const g_odd_count = 1 << (g_wnaf_width - 2);
/// Width-5 wNAF for P: odd multiples P..15P, built per call.
const p_wnaf_width = 5;
const p_odd_count = 1 << (p_wnaf_width - 2);

const Tables = struct {
    /// comb[i][j] = (j + 1) 16^i G.
    comb: [windows][15]Affine,
    odd: [g_odd_count]Affine,
};

const tables = lazy.Lazy(Tables, buildTables);

fn buildTables(t: *Tables) void {
    const total = windows * 15 + g_odd_count;
    var jac: [total]Jacobian = undefined;
    var base = Jacobian.fromAffine(Affine.generator);
    for (0..windows) |i| {
        const row = jac[i * 15 ..][0..15];
        row[0] = base;
        for (1..15) |j| row[j] = row[j - 1].add(base);
        base = row[14].add(base); // 16^(i+1) G
    }
    const odd = jac[windows * 15 ..];
    const g2 = Jacobian.fromAffine(Affine.generator).dbl();
    odd[0] = Jacobian.fromAffine(Affine.generator);
    for (1..g_odd_count) |i| odd[i] = odd[i - 1].add(g2);
    var aff: [total]Affine = undefined;
    var scratch: [total]Fe = undefined;
    point.batchToAffine(&jac, &aff, &scratch);
    for (0..windows) |i| t.comb[i] = aff[i * 15 ..][0..15].*;
    t.odd = aff[windows * 15 ..][0..g_odd_count].*;
}

/// Constant-time table lookup: every entry is read; entry `digit` (1..15) is
/// kept, digit 0 yields the identity.
fn select(row: *const [15]Affine, digit: u4) Affine {
    var r = Affine.identity;
    inline for (row, 1..) |e, j| {
        // 1 exactly when digit == j, without a comparison the compiler could
        // turn into a branch.
        const diff: u32 = @as(u32, digit) ^ @as(u32, j);
        r.x.cMov(e.x, @truncate((diff -% 1) >> 31));
        r.y.cMov(e.y, @truncate((diff -% 1) >> 31));
    }
    return r;
}

/// k G in constant time for any 256-bit k (reduced or not: 16^i G rows cover
/// all 64 nibbles). The result is the identity exactly when k = 0 mod n.
pub fn mulBase(k: u256) Projective {
    const t = tables.get();
    var acc = Projective.identity;
    inline for (0..windows) |i| {
        const digit: u4 = @truncate(k >> (4 * i));
        acc = acc.addAffine(select(&t.comb[i], digit));
    }
    return acc;
}

// ---------------------------------------------------------------------------
// Variable-time double-base multiplication

const beta: Fe = .{ .v = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE };

/// Width-w non-adjacent form of a public value: digits are 0 or odd in
/// (-2^(w-1), 2^(w-1)), at most one non-zero in any w consecutive positions.
/// Returns the number of digits.
fn wnaf(comptime w: u4, value: u256, negate: bool, out: *[258]i8) usize {
    var v: u257 = value;
    var len: usize = 0;
    const half: i16 = 1 << (w - 1);
    while (v != 0) : (len += 1) {
        var d: i16 = 0;
        if (v & 1 == 1) {
            d = @as(i16, @as(u8, @truncate(v))) & ((1 << w) - 1);
            if (d >= half) d -= 1 << w;
            if (d > 0) v -= @intCast(d) else v += @intCast(-d);
        }
        out[len] = @intCast(if (negate) -d else d);
        v >>= 1;
    }
    return len;
}

/// GLV split: k = k1 + k2 lambda (mod n) with |k1|, |k2| about 2^128, as
/// (magnitude, negative) pairs. std's splitScalar gives k1, k2 mod n; values
/// above n/2 stand for negative ones.
const Half = struct { mag: u256, neg: bool };

fn splitGlv(k: u256) ?[2]Half {
    var kb: [32]u8 = undefined;
    std.mem.writeInt(u256, &kb, k, .big);
    const s = std.crypto.ecc.Secp256k1.Endomorphism.splitScalar(kb, .big) catch return null;
    var out: [2]Half = undefined;
    for ([2][32]u8{ s.r1, s.r2 }, &out) |r, *o| {
        const x = std.mem.readInt(u256, &r, .big);
        o.* = if (x > field.n / 2) .{ .mag = field.n - x, .neg = true } else .{ .mag = x, .neg = false };
    }
    return out;
}

fn lambdaAffine(a: Affine) Affine {
    return .{ .x = a.x.mul(beta), .y = a.y };
}

fn lambdaJacobian(p: Jacobian) Jacobian {
    return .{ .x = p.x.mul(beta), .y = p.y, .z = p.z };
}

fn addDigitAffine(acc: Jacobian, d: i8, tab: *const [g_odd_count]Affine, lam: bool) Jacobian {
    if (d == 0) return acc;
    var q = tab[@intCast(@abs(d) >> 1)];
    if (lam) q = lambdaAffine(q);
    return acc.addAffine(if (d > 0) q else q.neg());
}

fn addDigitJacobian(acc: Jacobian, d: i8, tab: *const [p_odd_count]Jacobian) Jacobian {
    if (d == 0) return acc;
    const q = tab[@intCast(@abs(d) >> 1)];
    return acc.add(if (d > 0) q else q.neg());
}

/// u1 G + u2 P for public u1, u2 < n and a public point P, in variable time.
/// Null when a scalar is not reduced (callers pass reduced ones).
pub fn mulDoubleBaseVar(g_scalar: u256, p: Affine, p_scalar: u256) ?Jacobian {
    const t = tables.get();
    const a = splitGlv(g_scalar) orelse return null;
    const b = splitGlv(p_scalar) orelse return null;
    var digits: [4][258]i8 = @splat(@splat(0));
    var len: usize = 0;
    len = @max(len, wnaf(g_wnaf_width, a[0].mag, a[0].neg, &digits[0]));
    len = @max(len, wnaf(g_wnaf_width, a[1].mag, a[1].neg, &digits[1]));
    len = @max(len, wnaf(p_wnaf_width, b[0].mag, b[0].neg, &digits[2]));
    len = @max(len, wnaf(p_wnaf_width, b[1].mag, b[1].neg, &digits[3]));

    // Odd multiples of P, and of lambda P (beta X: x = X/Z^2 scales alike).
    var pt: [p_odd_count]Jacobian = undefined;
    var pt_lam: [p_odd_count]Jacobian = undefined;
    pt[0] = Jacobian.fromAffine(p);
    const p2 = pt[0].dbl();
    for (1..p_odd_count) |i| pt[i] = pt[i - 1].add(p2);
    for (pt, &pt_lam) |q, *l| l.* = lambdaJacobian(q);

    var acc = Jacobian.infinity;
    var i = len;
    while (i > 0) {
        i -= 1;
        acc = acc.dbl();
        acc = addDigitAffine(acc, digits[0][i], &t.odd, false);
        acc = addDigitAffine(acc, digits[1][i], &t.odd, true);
        acc = addDigitJacobian(acc, digits[2][i], &pt);
        acc = addDigitJacobian(acc, digits[3][i], &pt_lam);
    }
    return acc;
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const StdCurve = std.crypto.ecc.Secp256k1;

const stdAffine = point.fromStd;
const expectSame = point.expectSame;

fn stdBaseMul(k: u256) !Affine {
    var b: [32]u8 = undefined;
    std.mem.writeInt(u256, &b, k, .big);
    return stdAffine(try StdCurve.basePoint.mul(b, .big));
}

test "table-based k G equals std's basePoint.mul" {
    const edge = [_]u256{ 1, 2, 15, 16, 17, field.n - 1, field.n - 2, 1 << 255, (1 << 255) - 1, field.n / 2, 1 << 128, 0x0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F };
    for (edge) |k| try expectSame(try stdBaseMul(k), mulBase(k).toAffine());
    var prng = std.Random.DefaultPrng.init(7);
    for (0..64) |_| {
        const k = prng.random().int(u256) % field.n;
        if (k == 0) continue;
        try expectSame(try stdBaseMul(k), mulBase(k).toAffine());
    }
    // 0 and n give the identity.
    try testing.expect(mulBase(0).isIdentity());
    try testing.expect(mulBase(field.n).isIdentity());
}

test "the endomorphism: lambda G = (beta x, y)" {
    const lambda: u256 = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72;
    try expectSame(try stdBaseMul(lambda), lambdaAffine(Affine.generator));
}

test "double-base multiplication equals std's" {
    var prng = std.Random.DefaultPrng.init(11);
    const q_std = try StdCurve.basePoint.mul(@splat(0x42), .big);
    const q = stdAffine(q_std);
    const edge = [_]u256{ 0, 1, 2, field.n - 1, 1 << 255, field.n / 2 + 1 };
    for (0..80) |i| {
        var s1 = prng.random().int(u256) % field.n;
        var s2 = prng.random().int(u256) % field.n;
        if (i < edge.len * edge.len) {
            s1 = edge[i % edge.len];
            s2 = edge[i / edge.len];
        }
        var b1: [32]u8 = undefined;
        var b2: [32]u8 = undefined;
        std.mem.writeInt(u256, &b1, s1, .big);
        std.mem.writeInt(u256, &b2, s2, .big);
        const got = mulDoubleBaseVar(s1, q, s2).?;
        // std rejects an identity result; ours reports it as infinity.
        const want = StdCurve.basePoint.mulDoubleBasePublic(b1, q_std, b2, .big) catch {
            try testing.expect(got.isInfinity());
            continue;
        };
        try expectSame(stdAffine(want), got.toAffine().?);
    }
    // u1 G + u2 (-G) with u1 = u2 cancels exactly.
    try testing.expect(mulDoubleBaseVar(5, Affine.generator.neg(), 5).?.isInfinity());
    try expectSame(try stdBaseMul(10), mulDoubleBaseVar(5, Affine.generator, 5).?.toAffine().?);
}

test "mulBase from several threads at once" {
    // The tables may already be built by an earlier test (lazy.zig tests the
    // first-use race itself); this checks concurrent readers.
    const Worker = struct {
        fn run(ok: *bool) void {
            ok.* = mulBase(3).toAffine().x.normalize().v == mulBase(1).addAffine(Affine.generator).addAffine(Affine.generator).toAffine().x.normalize().v;
        }
    };
    var oks: [4]bool = @splat(false);
    var threads: [4]std.Thread = undefined;
    for (&threads, &oks) |*t, *ok| t.* = try std.Thread.spawn(.{}, Worker.run, .{ok});
    for (threads) |t| t.join();
    for (oks) |ok| try testing.expect(ok);
}
