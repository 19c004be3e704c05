//! Constant-time fixed-base multiplication on edwards25519 for signing.
//!
//! std's Edwards25519.basePoint.mul uses 4-bit windows over a 16-entry table
//! of B and so spends 252 doublings besides its 64 additions. Here the scalar
//! is recoded into 64 signed radix-16 digits d_i in [-8, 8] and
//! r B = sum d_i (16^i B), read from a table of 64 rows x 8 multiples j 16^i B
//! (j = 1..8): 64 mixed additions, no doubling. Entries are affine in
//! "Niels" form (y + x, y - x, 2 d x y), which makes an addition 7
//! multiplications. The table (~60 KiB) is built at first use like the
//! secp256k1 one (see secp256k1_mul.zig for why not at comptime).

const std = @import("std");
const lazy = @import("lazy.zig");
const Curve = std.crypto.ecc.Edwards25519;
const Fe = Curve.Fe;

const Niels = struct {
    ypx: Fe,
    ymx: Fe,
    xy2d: Fe,

    const identity: Niels = .{ .ypx = Fe.one, .ymx = Fe.one, .xy2d = Fe.zero };

    fn cMov(a: *Niels, b: Niels, bit: u64) void {
        a.ypx.cMov(b.ypx, bit);
        a.ymx.cMov(b.ymx, bit);
        a.xy2d.cMov(b.xy2d, bit);
    }

    /// -(x, y) = (-x, y): swaps y + x with y - x and negates 2dxy.
    fn cNeg(a: *Niels, bit: u64) void {
        var swapped: Niels = .{ .ypx = a.ymx, .ymx = a.ypx, .xy2d = a.xy2d.neg() };
        swapped.cMov(a.*, 1 - bit);
        a.* = swapped;
    }
};

/// p + q in extended coordinates, q in Niels form: the unified (complete)
/// formula std's Edwards25519.add uses, with q.z = 1 and 2 d q.t precomputed.
fn addNiels(p: Curve, q: Niels) Curve {
    const a = p.y.sub(p.x).mul(q.ymx);
    const b = p.y.add(p.x).mul(q.ypx);
    const c = p.t.mul(q.xy2d);
    const d = p.z.add(p.z);
    const x = b.sub(a);
    const y = b.add(a);
    const z = d.add(c);
    const t = d.sub(c);
    return .{ .x = x.mul(t), .y = y.mul(z), .z = z.mul(t), .t = x.mul(y) };
}

const Table = [64][8]Niels;

const table = lazy.Lazy(Table, buildTable);

fn buildTable(out: *Table) void {
    var pts: [64][8]Curve = undefined;
    var base = Curve.basePoint;
    for (&pts) |*row| {
        row[0] = base;
        for (1..8) |j| row[j] = row[j - 1].add(base);
        base = row[7].dbl(); // 16 * 16^i B
    }
    // One inversion for all 512 points (Montgomery's trick).
    const flat: *[512]Curve = @ptrCast(&pts);
    var prefix: [512]Fe = undefined;
    var acc = Fe.one;
    for (flat, &prefix) |p, *pre| {
        pre.* = acc;
        acc = acc.mul(p.z);
    }
    var inv = acc.invert();
    const dst: *[512]Niels = @ptrCast(out);
    var i: usize = 512;
    while (i > 0) {
        i -= 1;
        const zi = inv.mul(prefix[i]);
        inv = inv.mul(flat[i].z);
        const x = flat[i].x.mul(zi);
        const y = flat[i].y.mul(zi);
        dst[i] = .{ .ypx = y.add(x), .ymx = y.sub(x), .xy2d = x.mul(y).mul(Fe.edwards25519d2) };
    }
}

/// Constant-time selection of d (16^i B) for a digit d in [-8, 8]: every
/// entry of the row is read, and the sign is applied with a masked swap.
fn select(row: *const [8]Niels, d: i8) Niels {
    const neg: u8 = @bitCast(d >> 7); // 0xff when negative
    const abs: u8 = (@as(u8, @bitCast(d)) ^ neg) -% neg;
    var r = Niels.identity;
    inline for (row, 1..) |e, j| {
        const diff: u32 = @as(u32, abs) ^ @as(u32, j);
        r.cMov(e, (diff -% 1) >> 31);
    }
    r.cNeg(neg & 1);
    return r;
}

/// Signed radix-16 digits of a scalar below 2^255 (ref10's recoding; pure
/// arithmetic, no branches): s = sum e_i 16^i with e_i in [-8, 8].
fn recode(s: *const [32]u8) [64]i8 {
    var e: [64]i8 = undefined;
    for (s, 0..) |b, i| {
        e[2 * i] = @intCast(b & 15);
        e[2 * i + 1] = @intCast(b >> 4);
    }
    var carry: i8 = 0;
    for (e[0..63]) |*x| {
        x.* += carry;
        carry = (x.* + 8) >> 4;
        x.* -= carry * 16;
    }
    e[63] += carry;
    return e;
}

/// s B for a little-endian scalar s < 2^255 (reduced scalars are < 2^253),
/// in constant time.
pub fn mulBase(s: *const [32]u8) Curve {
    const t = table.get();
    var e = recode(s);
    defer std.crypto.secureZero(i8, &e);
    var acc = Curve.identityElement;
    for (t, e) |*row, d| acc = addNiels(acc, select(row, d));
    return acc;
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;

test "table-based s B equals std's basePoint.mul" {
    var prng = std.Random.DefaultPrng.init(3);
    var edge: [6][32]u8 = @splat(@splat(0));
    edge[0][0] = 1;
    edge[1][0] = 8; // a digit of exactly 8
    edge[2][0] = 9; // 9 = 16 - 7: a negative digit and a carry
    edge[3] = Curve.scalar.neg(edge[0]); // L - 1
    edge[4] = @splat(0x88);
    edge[4][31] = 0x08;
    edge[5] = @splat(0xff);
    edge[5][31] = 0x0f; // all-ones, 2^252 - 1
    for (edge) |s| {
        try testing.expectEqualSlices(u8, &(try Curve.basePoint.mul(s)).toBytes(), &mulBase(&s).toBytes());
    }
    for (0..64) |_| {
        var wide: [64]u8 = undefined;
        prng.random().bytes(&wide);
        const s = Curve.scalar.reduce64(wide);
        try testing.expectEqualSlices(u8, &(try Curve.basePoint.mul(s)).toBytes(), &mulBase(&s).toBytes());
    }
    const zero: [32]u8 = @splat(0);
    try testing.expect(mulBase(&zero).x.isZero());
}
