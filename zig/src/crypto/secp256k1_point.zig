//! secp256k1 group arithmetic (y^2 = x^3 + 7) on the field of
//! secp256k1_field.zig, in two flavours:
//!  - `Projective` with the complete Renes-Costello-Batina formulas, constant
//!    time, for secret scalars (signing nonces, secret keys);
//!  - `Jacobian` with the cheaper incomplete formulas and explicit special
//!    cases, variable time, for public data only (verification, recovery).

const std = @import("std");
const field = @import("secp256k1_field.zig");
const Fe = field.Fe;

/// A finite point in affine coordinates. Valid points never have x = 0
/// (7 is not a square mod p), which lets (0, 1) stand for the identity in
/// constant-time table selection.
pub const Affine = struct {
    x: Fe,
    y: Fe,

    pub const identity: Affine = .{ .x = Fe.zero, .y = Fe.one };

    pub const generator: Affine = .{
        .x = .{ .v = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798 },
        .y = .{ .v = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8 },
    };

    pub fn neg(a: Affine) Affine {
        return .{ .x = a.x, .y = a.y.neg() };
    }

    pub fn onCurve(a: Affine) bool {
        return a.y.sq().eql(a.x.sq().mul(a.x).add(.{ .v = 7 }));
    }

    fn cMov(a: *Affine, b: Affine, bit: u1) void {
        a.x.cMov(b.x, bit);
        a.y.cMov(b.y, bit);
    }

    /// SEC1 decoding of a 33-byte compressed or 65-byte uncompressed point;
    /// null for any other length or prefix, x or y >= p, or a point off the
    /// curve. Decoded points are public: the sqrt's timing does not matter.
    pub fn fromSec1(b: []const u8) ?Affine {
        if (b.len == 33 and (b[0] == 2 or b[0] == 3)) {
            const x = Fe.fromBytes(b[1..33]) orelse return null;
            return liftX(x, b[0] == 3);
        }
        if (b.len != 65 or b[0] != 4) return null;
        const a: Affine = .{
            .x = Fe.fromBytes(b[1..33]) orelse return null,
            .y = Fe.fromBytes(b[33..65]) orelse return null,
        };
        return if (a.onCurve()) a else null;
    }

    /// The point with this x and y parity, if x^3 + 7 is a square.
    pub fn liftX(x: Fe, odd: bool) ?Affine {
        const y = x.sq().mul(x).add(.{ .v = 7 }).sqrt() orelse return null;
        return .{ .x = x, .y = if (y.isOdd() == odd) y else y.neg() };
    }

    pub fn toCompressed(a: Affine) [33]u8 {
        var out: [33]u8 = undefined;
        out[0] = if (a.y.isOdd()) 3 else 2;
        out[1..33].* = a.x.toBytes();
        return out;
    }

    pub fn toUncompressed(a: Affine) [65]u8 {
        var out: [65]u8 = undefined;
        out[0] = 4;
        out[1..33].* = a.x.toBytes();
        out[33..65].* = a.y.toBytes();
        return out;
    }
};

/// Homogeneous projective coordinates, x = X/Z, y = Y/Z, identity (0:1:0).
/// Complete addition: correct for every input pair, so no data-dependent
/// special cases. Algorithms 7-8 of https://eprint.iacr.org/2015/1060 (a = 0,
/// 3b = 21), as std.crypto.ecc.Secp256k1 uses them.
pub const Projective = struct {
    x: Fe,
    y: Fe,
    z: Fe,

    pub const identity: Projective = .{ .x = Fe.zero, .y = Fe.one, .z = Fe.zero };

    fn cMov(p: *Projective, q: Projective, bit: u1) void {
        p.x.cMov(q.x, bit);
        p.y.cMov(q.y, bit);
        p.z.cMov(q.z, bit);
    }

    /// p + q for an affine q; q = Affine.identity (x = 0) leaves p unchanged.
    pub fn addAffine(p: Projective, q: Affine) Projective {
        var t0 = p.x.mul(q.x);
        var t1 = p.y.mul(q.y);
        var t3 = q.x.add(q.y).mul(p.x.add(p.y));
        var t4 = t0.add(t1);
        t3 = t3.sub(t4);
        t4 = q.y.mul(p.z).add(p.y);
        var y3 = q.x.mul(p.z).add(p.x);
        t0 = t0.mulSmall(3);
        const t2 = p.z.mulSmall(21);
        var z3 = t1.add(t2);
        t1 = t1.sub(t2);
        y3 = y3.mulSmall(21);
        const x3 = t3.mul(t1).sub(t4.mul(y3));
        y3 = t1.mul(z3).add(y3.mul(t0));
        z3 = z3.mul(t4).add(t0.mul(t3));
        var r: Projective = .{ .x = x3, .y = y3, .z = z3 };
        r.cMov(p, @intFromBool(q.x.isZero()));
        return r;
    }

    /// Affine coordinates with a constant-time inversion (Z may depend on a
    /// secret scalar). The identity maps to (0, 0); callers reject it.
    pub fn toAffine(p: Projective) Affine {
        const zi = p.z.invert();
        return .{ .x = p.x.mul(zi), .y = p.y.mul(zi) };
    }

    pub fn isIdentity(p: Projective) bool {
        return p.z.isZero();
    }
};

/// Jacobian coordinates, x = X/Z^2, y = Y/Z^3, Z = 0 for infinity. Variable
/// time: the special cases (doubling, opposite points) are branches.
pub const Jacobian = struct {
    x: Fe,
    y: Fe,
    z: Fe,

    pub const infinity: Jacobian = .{ .x = Fe.one, .y = Fe.one, .z = Fe.zero };

    pub fn fromAffine(a: Affine) Jacobian {
        return .{ .x = a.x, .y = a.y, .z = Fe.one };
    }

    pub fn isInfinity(p: Jacobian) bool {
        return p.z.isZero();
    }

    pub fn neg(p: Jacobian) Jacobian {
        return .{ .x = p.x, .y = p.y.neg(), .z = p.z };
    }

    /// dbl-2009-l (2M + 5S). secp256k1 has no point of order 2, so only
    /// infinity is special, and Z3 = 2YZ keeps it at Z = 0.
    pub fn dbl(p: Jacobian) Jacobian {
        const a = p.x.sq();
        const b = p.y.sq();
        const c = b.sq();
        const d = p.x.add(b).sq().sub(a).sub(c).dbl();
        const e = a.mulSmall(3);
        const x3 = e.sq().sub(d.dbl());
        return .{
            .x = x3,
            .y = e.mul(d.sub(x3)).sub(c.mulSmall(8)),
            .z = p.y.mul(p.z).dbl(),
        };
    }

    /// madd-2007-bl (7M + 4S).
    pub fn addAffine(p: Jacobian, q: Affine) Jacobian {
        if (p.isInfinity()) return fromAffine(q);
        const z1z1 = p.z.sq();
        const h = q.x.mul(z1z1).sub(p.x);
        const r = q.y.mul(p.z).mul(z1z1).sub(p.y).dbl();
        if (h.isZero()) return if (r.isZero()) p.dbl() else infinity;
        const hh = h.sq();
        const i = hh.mulSmall(4);
        const j = h.mul(i);
        const v = p.x.mul(i);
        const x3 = r.sq().sub(j).sub(v.dbl());
        return .{
            .x = x3,
            .y = r.mul(v.sub(x3)).sub(p.y.mul(j).dbl()),
            .z = p.z.add(h).sq().sub(z1z1).sub(hh),
        };
    }

    /// add-2007-bl (11M + 5S).
    pub fn add(p: Jacobian, q: Jacobian) Jacobian {
        if (p.isInfinity()) return q;
        if (q.isInfinity()) return p;
        const z1z1 = p.z.sq();
        const z2z2 = q.z.sq();
        const u_1 = p.x.mul(z2z2);
        const s_1 = p.y.mul(q.z).mul(z2z2);
        const h = q.x.mul(z1z1).sub(u_1);
        const r = q.y.mul(p.z).mul(z1z1).sub(s_1).dbl();
        if (h.isZero()) return if (r.isZero()) p.dbl() else infinity;
        const i = h.dbl().sq();
        const j = h.mul(i);
        const v = u_1.mul(i);
        const x3 = r.sq().sub(j).sub(v.dbl());
        return .{
            .x = x3,
            .y = r.mul(v.sub(x3)).sub(s_1.mul(j).dbl()),
            .z = p.z.add(q.z).sq().sub(z1z1).sub(z2z2).mul(h),
        };
    }

    /// Affine coordinates, or null for infinity.
    pub fn toAffine(p: Jacobian) ?Affine {
        if (p.isInfinity()) return null;
        const zi = p.z.invert();
        const zi2 = zi.sq();
        return .{ .x = p.x.mul(zi2), .y = p.y.mul(zi2).mul(zi) };
    }
};

/// Converts many Jacobian points (none at infinity) to affine with a single
/// inversion (Montgomery's trick). `scratch` holds the prefix products.
pub fn batchToAffine(in: []const Jacobian, out: []Affine, scratch: []Fe) void {
    var acc = Fe.one;
    for (in, scratch) |p, *s| {
        s.* = acc;
        acc = acc.mul(p.z);
    }
    var inv = acc.invert();
    var i = in.len;
    while (i > 0) {
        i -= 1;
        const zi = inv.mul(scratch[i]); // 1 / z_i
        inv = inv.mul(in[i].z);
        const zi2 = zi.sq();
        out[i] = .{ .x = in[i].x.mul(zi2).normalize(), .y = in[i].y.mul(zi2).mul(zi).normalize() };
    }
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const StdCurve = std.crypto.ecc.Secp256k1;

/// Test helper (also used by secp256k1_mul.zig's tests): std's point as an Affine.
pub fn fromStd(q: StdCurve) Affine {
    const a = q.affineCoordinates();
    return .{ .x = .{ .v = a.x.toInt() }, .y = .{ .v = a.y.toInt() } };
}

/// Test helper (also used by secp256k1_mul.zig's tests).
pub fn expectSame(want: Affine, got: Affine) !void {
    try testing.expectEqual(want.x.normalize().v, got.x.normalize().v);
    try testing.expectEqual(want.y.normalize().v, got.y.normalize().v);
}

test "generator and SEC1 round trip" {
    const g = Affine.generator;
    try testing.expect(g.onCurve());
    try expectSame(fromStd(StdCurve.basePoint), g);
    const c = g.toCompressed();
    try testing.expectEqualSlices(u8, &StdCurve.basePoint.toCompressedSec1(), &c);
    try expectSame(g, Affine.fromSec1(&c).?);
    try expectSame(g, Affine.fromSec1(&g.toUncompressed()).?);
    try testing.expect(Affine.fromSec1(c[0..32]) == null);
    var bad = g.toUncompressed();
    bad[64] ^= 1;
    try testing.expect(Affine.fromSec1(&bad) == null);
    bad = g.toUncompressed();
    bad[0] = 6; // hybrid encodings are not accepted
    try testing.expect(Affine.fromSec1(&bad) == null);
}

test "Jacobian and projective formulas agree with std" {
    const g = Affine.generator;
    var j = Jacobian.fromAffine(g);
    var pr = Projective.identity;
    var s = StdCurve.identityElement;
    for (1..40) |i| {
        pr = pr.addAffine(g);
        s = s.add(StdCurve.basePoint);
        if (i > 1) j = j.addAffine(g);
        try expectSame(fromStd(s), j.toAffine().?);
        try expectSame(fromStd(s), pr.toAffine());
    }
    // Doubling through add, and P + (-P).
    try expectSame(j.dbl().toAffine().?, j.add(j).toAffine().?);
    try expectSame(fromStd(s.dbl()), j.dbl().toAffine().?);
    try testing.expect(j.add(j.neg()).isInfinity());
    try testing.expect(Jacobian.fromAffine(g).addAffine(g.neg()).isInfinity());
    // The identity is neutral for the constant-time addition.
    try expectSame(pr.toAffine(), pr.addAffine(Affine.identity).toAffine());
    var pts: [3]Jacobian = .{ j, j.dbl(), j.dbl().add(j) };
    var aff: [3]Affine = undefined;
    var scratch: [3]Fe = undefined;
    batchToAffine(&pts, &aff, &scratch);
    for (pts, aff) |p, a| try expectSame(p.toAffine().?, a);
}
