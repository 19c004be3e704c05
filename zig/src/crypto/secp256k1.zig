//! secp256k1 ECDSA over 32-byte digests (RFC 6979 nonces, low-S, public key
//! recovery) and ECDH. std's ecdsa.zig hashes the message itself and has
//! neither recovery nor low-S, hence this module. The group arithmetic is our
//! own (secp256k1_field/point/mul.zig: a specialised field, a precomputed
//! table for k G and GLV for verification, about 3x faster than std's generic
//! code); ECDH still uses std.crypto.ecc.Secp256k1's constant-time mul.

const std = @import("std");
const mem = std.mem;
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;
const Curve = std.crypto.ecc.Secp256k1;
const Scalar = Curve.scalar.Scalar;
const field = @import("secp256k1_field.zig");
const Fe = field.Fe;
const Affine = @import("secp256k1_point.zig").Affine;
const Jacobian = @import("secp256k1_point.zig").Jacobian;
const mul = @import("secp256k1_mul.zig");
const HmacSha256 = std.crypto.auth.hmac.sha2.HmacSha256;

/// Group order n and field prime p, as integers for range checks on public data.
const n: u256 = Curve.scalar.field_order;
const half_n: u256 = n / 2;
const p: u256 = Fe.p;

fn beInt(bytes: *const [32]u8) u256 {
    return mem.readInt(u256, bytes, .big);
}

fn beBytes(x: u256) [32]u8 {
    var b: [32]u8 = undefined;
    mem.writeInt(u256, &b, x, .big);
    return b;
}

/// A secret key is a big-endian scalar with 0 < d < n.
fn parseSecret(bytes: *const [32]u8) Error!Scalar {
    const d = Scalar.fromBytes(bytes.*, .big) catch return error.InvalidKey;
    if (d.isZero()) return error.InvalidKey;
    return d;
}

/// A SEC1 public key: 33 (compressed) or 65 (uncompressed) bytes, on the curve,
/// not the point at infinity. Any other length is an invalid key encoding.
/// (The SEC1 identity encoding, a lone 0x00, has neither length.)
fn parsePublic(bytes: []const u8) Error!Affine {
    return Affine.fromSec1(bytes) orelse error.InvalidKey;
}

/// Writes a point as SEC1 compressed (33) or uncompressed (65); with
/// 32 the bare x coordinate (ECDH only).
/// `out.len` has been validated by checkPointOutLen.
fn encodePoint(q: Affine, out: []u8) void {
    switch (out.len) {
        32 => out[0..32].* = q.x.toBytes(),
        33 => out[0..33].* = q.toCompressed(),
        65 => out[0..65].* = q.toUncompressed(),
        else => {},
    }
}

fn checkPointOutLen(out_len: usize, allow_x_only: bool) Error!void {
    if (out_len == 33 or out_len == 65 or (allow_x_only and out_len == 32)) return;
    return error.Length;
}

/// z = digest as a big-endian integer, reduced mod n (bits2int then mod n;
/// the digest is exactly 256 bits, so no shift is needed).
fn digestScalar(digest: *const [32]u8) Scalar {
    var wide: [48]u8 = @splat(0);
    wide[16..48].* = digest.*;
    return Scalar.fromBytes48(wide, .big);
}

/// A signature component r or s: a big-endian integer in [1, n-1].
fn parseSigScalar(bytes: *const [32]u8) Error!Scalar {
    const x = Scalar.fromBytes(bytes.*, .big) catch return error.InvalidSignature;
    if (x.isZero()) return error.InvalidSignature;
    return x;
}

// ---------------------------------------------------------------------------
// Public keys

fn publicKeyImpl(secret_key: [*c]const u8, out: [*c]u8, out_len: usize) Error!void {
    const sk = try common.inFixed(32, secret_key);
    try checkPointOutLen(out_len, false);
    const dst = try common.out(out, out_len);
    _ = try parseSecret(sk);
    // Constant-time fixed-base multiplication; 0 < d < n, so never the identity.
    encodePoint(mul.mulBase(beInt(sk)).toAffine(), dst);
}

pub fn publicKey(secret_key: [*c]const u8, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(publicKeyImpl(secret_key, out, out_len), out, out_len);
}

fn convertImpl(public_key: [*c]const u8, public_key_len: usize, out: [*c]u8, out_len: usize) Error!void {
    const pk = try common.in(public_key, public_key_len);
    try checkPointOutLen(out_len, false);
    const dst = try common.out(out, out_len);
    encodePoint(try parsePublic(pk), dst);
}

pub fn publicKeyConvert(public_key: [*c]const u8, public_key_len: usize, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(convertImpl(public_key, public_key_len, out, out_len), out, out_len);
}

// ---------------------------------------------------------------------------
// RFC 6979 deterministic nonces (HMAC-SHA256 DRBG, section 3.2)

const Rfc6979 = struct {
    k: [32]u8,
    v: [32]u8,

    /// Steps b-g with seed = int2octets(d) || bits2octets(digest) [|| extra],
    /// exactly the seed libsecp256k1 and @noble/curves use.
    fn init(seed: []const u8) Rfc6979 {
        var self: Rfc6979 = .{ .k = @splat(0), .v = @splat(1) };
        self.update(0x00, seed);
        self.update(0x01, seed);
        return self;
    }

    /// K = HMAC_K(V || tag || seed); V = HMAC_K(V).
    fn update(self: *Rfc6979, tag: u8, seed: []const u8) void {
        var mac = HmacSha256.init(&self.k);
        mac.update(&self.v);
        mac.update(&.{tag});
        mac.update(seed);
        mac.final(&self.k);
        self.refreshV();
    }

    fn refreshV(self: *Rfc6979) void {
        const v = self.v;
        HmacSha256.create(&self.v, &v, &self.k);
    }

    /// Step h: one candidate nonce (qlen = hlen = 256, so one block per try).
    fn next(self: *Rfc6979) [32]u8 {
        self.refreshV();
        return self.v;
    }

    /// Step h.3, after a rejected candidate.
    fn retry(self: *Rfc6979) void {
        self.update(0x00, &.{});
    }

    fn wipe(self: *Rfc6979) void {
        std.crypto.secureZero(u8, &self.k);
        std.crypto.secureZero(u8, &self.v);
    }
};

// ---------------------------------------------------------------------------
// Signing

const Signature = struct { bytes: [64]u8, recid: u8 };

/// One signing attempt with nonce k; null when k, r or s is out of range (the
/// caller then draws the next RFC 6979 candidate).
fn signWithNonce(d: Scalar, z: Scalar, k_bytes: [32]u8) ?Signature {
    var k = beInt(&k_bytes);
    defer std.crypto.secureZero(u256, (&k)[0..1]);
    // Rejecting k (probability ~2^-128) reveals only that it was rejected.
    if (k == 0 or k >= n) return null;
    // R = kG with the constant-time fixed-base multiplication (never the
    // identity as 0 < k < n).
    const ra = mul.mulBase(k).toAffine();
    const x = ra.x.normalize().v;
    // x < p < 2n, so x mod n is at most one subtraction; x >= n sets bit 1 of
    // the recovery id. Branching is fine: r and the recovery id are public.
    var recid: u8 = @intFromBool(ra.y.isOdd());
    var r_int = x;
    if (x >= n) {
        r_int -= n;
        recid |= 2;
    }
    if (r_int == 0) return null;
    const r_bytes = beBytes(r_int);
    const r = Scalar.fromBytes(r_bytes, .big) catch return null;
    // s = k^-1 (z + r d); scalarInvert is constant time (a fixed addition
    // chain), as k must stay secret.
    const k_inv = Scalar.fromBytes(beBytes(field.scalarInvert(k)), .big) catch return null;
    var s = k_inv.mul(z.add(r.mul(d)));
    if (s.isZero()) return null;
    // Low-S normalisation: s and n - s are both valid; -s flips R's y parity.
    if (beInt(&s.toBytes(.big)) > half_n) {
        s = s.neg();
        recid ^= 1;
    }
    var sig: Signature = .{ .bytes = undefined, .recid = recid };
    sig.bytes[0..32].* = r_bytes;
    sig.bytes[32..64].* = s.toBytes(.big);
    return sig;
}

fn signDigest(sk: *const [32]u8, digest: *const [32]u8, extra: ?*const [32]u8) Error!Signature {
    const d = try parseSecret(sk);
    const z = digestScalar(digest);
    var seed: [96]u8 = undefined;
    defer std.crypto.secureZero(u8, &seed);
    seed[0..32].* = sk.*;
    seed[32..64].* = z.toBytes(.big);
    if (extra) |e| seed[64..96].* = e.*;
    var drbg = Rfc6979.init(seed[0..if (extra != null) 96 else 64]);
    defer drbg.wipe();
    while (true) {
        var k = drbg.next();
        defer std.crypto.secureZero(u8, &k);
        if (signWithNonce(d, z, k)) |sig| return sig;
        drbg.retry();
    }
}

fn signImpl(secret_key: [*c]const u8, digest: [*c]const u8, extra_entropy: [*c]const u8, signature: [*c]u8, recovery_id: [*c]u8) Error!void {
    const sk = try common.inFixed(32, secret_key);
    const dg = try common.inFixed(32, digest);
    const sig_out = try common.outFixed(64, signature);
    const extra: ?*const [32]u8 = if (extra_entropy != null) extra_entropy[0..32] else null;
    const sig = try signDigest(sk, dg, extra);
    sig_out.* = sig.bytes;
    if (recovery_id != null) recovery_id.* = sig.recid;
}

pub fn sign(secret_key: [*c]const u8, digest: [*c]const u8, extra_entropy: [*c]const u8, signature: [*c]u8, recovery_id: [*c]u8) callconv(.c) c_int {
    signImpl(secret_key, digest, extra_entropy, signature, recovery_id) catch |e| {
        common.wipe(signature, 64);
        if (recovery_id != null) recovery_id.* = 0;
        return common.status(e);
    };
    return h.ZC_OK;
}

// ---------------------------------------------------------------------------
// Verification and recovery

/// True when x(R) mod n == r, compared in Jacobian coordinates (X == r Z^2)
/// to avoid an inversion. x(R) < p < 2n, so x(R) is r or r + n.
fn xMatchesR(big_r: Jacobian, r_int: u256) bool {
    if (big_r.isInfinity()) return false;
    const zz = big_r.z.sq();
    if (big_r.x.eql((Fe{ .v = r_int }).mul(zz))) return true;
    if (r_int >= p - n) return false;
    return big_r.x.eql((Fe{ .v = r_int + n }).mul(zz));
}

/// A scalar as an integer (canonical, < n).
fn scalarInt(s: Scalar) u256 {
    return beInt(&s.toBytes(.big));
}

fn verifyImpl(public_key: [*c]const u8, public_key_len: usize, digest: [*c]const u8, signature: [*c]const u8, allow_high_s: c_int) Error!void {
    const pk = try common.in(public_key, public_key_len);
    const dg = try common.inFixed(32, digest);
    const sig = try common.inFixed(64, signature);
    const q = try parsePublic(pk);
    const r = try parseSigScalar(sig[0..32]);
    const s = try parseSigScalar(sig[32..64]);
    if (allow_high_s == 0 and beInt(sig[32..64]) > half_n) return error.InvalidSignature;
    // R = u1 G + u2 Q with u1 = z/s, u2 = r/s. All public: variable time is fine.
    const w = field.scalarInvert(scalarInt(s));
    const u_1 = field.scalarMul(scalarInt(digestScalar(dg)), w);
    const u_2 = field.scalarMul(scalarInt(r), w);
    const big_r = mul.mulDoubleBaseVar(u_1, q, u_2) orelse return error.InvalidSignature;
    if (!xMatchesR(big_r, beInt(sig[0..32]))) return error.InvalidSignature;
}

pub fn verify(public_key: [*c]const u8, public_key_len: usize, digest: [*c]const u8, signature: [*c]const u8, allow_high_s: c_int) callconv(.c) c_int {
    return common.result(verifyImpl(public_key, public_key_len, digest, signature, allow_high_s));
}

/// SEC1 4.1.6: R is lifted from x = r (+ n when bit 1 is set) with the y parity
/// of bit 0, then Q = r^-1 (s R - z G). High-S signatures are accepted.
fn recoverPoint(dg: *const [32]u8, sig: *const [64]u8, recid: c_int) Error!Affine {
    if (recid < 0 or recid > 3) return error.InvalidSignature;
    const r = try parseSigScalar(sig[0..32]);
    const s = try parseSigScalar(sig[32..64]);
    var x_int = beInt(sig[0..32]);
    if (recid & 2 != 0) {
        if (x_int >= p - n) return error.InvalidSignature;
        x_int += n;
    }
    const big_r = Affine.liftX(.{ .v = x_int }, recid & 1 != 0) orelse return error.InvalidSignature;
    const r_inv = field.scalarInvert(scalarInt(r));
    const u_1 = field.scalarMul(scalarInt(digestScalar(dg).neg()), r_inv);
    const u_2 = field.scalarMul(scalarInt(s), r_inv);
    const q = mul.mulDoubleBaseVar(u_1, big_r, u_2) orelse return error.InvalidSignature;
    return q.toAffine() orelse error.InvalidSignature;
}

fn recoverImpl(digest: [*c]const u8, signature: [*c]const u8, recovery_id: c_int, out: [*c]u8, out_len: usize) Error!void {
    const dg = try common.inFixed(32, digest);
    const sig = try common.inFixed(64, signature);
    try checkPointOutLen(out_len, false);
    const dst = try common.out(out, out_len);
    encodePoint(try recoverPoint(dg, sig, recovery_id), dst);
}

pub fn recover(digest: [*c]const u8, signature: [*c]const u8, recovery_id: c_int, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(recoverImpl(digest, signature, recovery_id, out, out_len), out, out_len);
}

// ---------------------------------------------------------------------------
// ECDH

fn ecdhImpl(secret_key: [*c]const u8, public_key: [*c]const u8, public_key_len: usize, out: [*c]u8, out_len: usize) Error!void {
    const sk = try common.inFixed(32, secret_key);
    const pk = try common.in(public_key, public_key_len);
    try checkPointOutLen(out_len, true);
    const dst = try common.out(out, out_len);
    _ = try parseSecret(sk);
    const a = try parsePublic(pk);
    const q = Curve.fromSerializedAffineCoordinates(a.x.toBytes(), a.y.toBytes(), .big) catch return error.InvalidKey;
    // std's constant-time variable-base multiplication. The group has prime
    // order and 0 < d < n, so the product is never the identity; map it anyway.
    const shared = (q.mul(sk.*, .big) catch return error.InvalidKey).affineCoordinates();
    encodePoint(.{ .x = .{ .v = shared.x.toInt() }, .y = .{ .v = shared.y.toInt() } }, dst);
}

pub fn ecdh(secret_key: [*c]const u8, public_key: [*c]const u8, public_key_len: usize, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(ecdhImpl(secret_key, public_key, public_key_len, out, out_len), out, out_len);
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const hex = common.hex;
const Sha256 = std.crypto.hash.sha2.Sha256;

test {
    _ = field;
    _ = mul;
    _ = @import("secp256k1_point.zig");
}

test "secret key 1 gives the generator" {
    const sk = hex("0000000000000000000000000000000000000000000000000000000000000001");
    var pk: [65]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKey(&sk, &pk, 33));
    try testing.expectEqualSlices(u8, &hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"), pk[0..33]);
    try testing.expectEqual(h.ZC_OK, publicKey(&sk, &pk, 65));
    try testing.expectEqualSlices(u8, &hex("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"), &pk);
}

test "Bitcoin RFC 6979 vector: key 1, SHA-256(\"Satoshi Nakamoto\")" {
    const sk = hex("0000000000000000000000000000000000000000000000000000000000000001");
    var digest: [32]u8 = undefined;
    Sha256.hash("Satoshi Nakamoto", &digest, .{});
    var sig: [64]u8 = undefined;
    var recid: u8 = 0xff;
    try testing.expectEqual(h.ZC_OK, sign(&sk, &digest, null, &sig, &recid));
    try testing.expectEqualSlices(u8, &hex("934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"), sig[0..32]);
    try testing.expectEqualSlices(u8, &hex("2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"), sig[32..64]);
    try testing.expectEqual(@as(u8, 1), recid);
}

// Generated with @noble/curves 2.4.0 (sign with prehash: false, format
// 'recovered'); every vector but the digest >= n one was also checked against
// libsecp256k1. That one differs only in pre-2021 libsecp256k1 releases, which
// fed the unreduced digest to RFC 6979; current releases reduce it as here.
// Columns: secret key, digest, extra entropy (empty = none), r || s, recovery id, compressed public key.
const noble_vectors = .{
    .{ "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "a0dc65ffca799873cbea0ac274015b9526505daaaed385155425f7337704883e", "", "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d06b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5", 0, "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" },
    .{ "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "", "a7f83b5963eaf5332c633327cc967be8f4166d3f1e0b77f9761d8f4e42211e9a58aae31be1eb1e496923bbe8ca5e843cfb89f4d986d61d4edfd7d6fc3c9cf62c", 0, "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" },
    .{ "0000000000000000000000000000000000000000000000000000000000000001", "0000000000000000000000000000000000000000000000000000000000000000", "c8dee78f8c7b466c881847accc196998bad00e2b96c5ef913dfbe454d3807c96", "fd2854870df5c0f2fc7241799742d84979a9364e344fe5ef2681bbae6c71784f13cf125b64fc199c253660f5a380ecdb32ad5b4d729aa80b4ec4f9bd3e219ec9", 0, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" },
    .{ "a819408ce5010ca2e09ef59ac3d89f5ff8595d02b524e61bf8afa894a95d594f", "42a98f3d3ee09518c8e23699af60fa6d97bb457436a68142b342d2395ecfe405", "", "25eee22706bcc69fe6f2722ac8a1a733f12eae00371f6089bb628028465c6cd9568e34f99ef6259d783b55460a4d2d403c54b3c2ffbd2347bd569adf9183e959", 1, "026c5d5e73124f3c821c0985df787e11b3d018a86add577fa8661613a0d49dde59" },
    .{ "8174099687a26621f4e2cdd7cc03b3dacedb3fb962255b1aafd033cabe831530", "289e5175e02c788c2d442cfe81d6be0533d8c13e253ef763fda45d37accfe4d4", "1aeba3a7ba2f7318bd54164afdbda229180c3bedd7efc5dd25a0dc4298e707e8", "4faf7c51d7f119c796115880a77212d63d1b1a63c3d7983588c6e0da26680f487bb489018bb962a587798d916e18dfe0e9195e036748520de688b1aad90b1e96", 0, "03f771877964fa2ce401d87bc2558a0df1e6921acef99389f059712b32cfda35fd" },
    .{ "b10253764c8b233fb37542e23401c7b450e5a6f9751f3b5a014f6f67e8bc999d", "a78521e49048b6e0d368d3fba417fc20c7546272dafa78a8a173fcca6c81233b", "", "7fcc1e2ccaab27df6e7221e78600ced87aa7f59f99438786e921e7d058afa16f30b77a8a992815800fe833ebba914f04be86d6d431068c55ef53c1588b1ec0af", 0, "03f039fdcdb728efbbddf4ee452419a988497debb7bd1b42644c5fa66e9af8c8b6" },
    .{ "f576104eebeab09651d83acffc77c8b8c6eaa4b767aeab24d7da80f83f51d865", "89da2bd31a5d008c84323c9693f12f09e62a75a688a55f2a6fd24660afba5660", "8568bdc2a931aac2e2e81fc95ef2d815c5e92c53410c8bd4071a0c5d1388a635", "94f64f874a8448259078db2673c9ec9926c4af3d2a7e003522a40151e6bba2976b5f9f8615693268fe01782e331394d9aa11054f081608ac49f35f580d4fc7f5", 0, "026da0e4d65a933e828c9de388005281dfa7e4948895d10c7c3ef617b5e40d97fd" },
    .{ "8dfad052fee5c62957d3ebe1752219a02f45634b2c32a6ac408b26ffcedfb7da", "cd682266d91f196c09590f35c003fa8aaf01321dcb8cb675c6bc1d70c5b6822b", "", "8aed11f1e52bc3d2fe1351bf2168f6fa5b5d42e5c6d96c38e083202821a06f2d25ff01599d2f6b1d93ef4eef2421e617f4c84ea2adb314a7d2d2132c5940ff35", 1, "034141a1ef664b76572adc99eb6a57c927aef4b84e37441338b0eb0f698aa74242" },
    .{ "dd9d6e0266d0a3f9adf3748ba973419b373d33434f649276549a1963164e7e49", "7d2e1591f4f2dbb0fe599d3078bb6f726551b746f1c73f579b3e323b321a5208", "a30e7f2ebec308fe9f154fc17b50023fa380badc08f4f8bbf0b7c74917540e69", "ae92cab5440854dfcb335761da5e426abe5814369fe37552d3d0dcec27297db4385f95a70673e56a0539a3d9b05fc81d6162778453420bc60a6d3b22dcb41259", 1, "039fc40d31af3ff9f3d9c44170e78d55723c7419693fcd45a91e8bc8ebdfd8403f" },
    .{ "e964e91cb42e10c4f7e0ecd1a344d4fa24306de8ae45fb20bcd0f482f732cbff", "6553ebbf32170056c066c01b8afe30eaf73d4b8a771be2515b5cecc358c77a18", "b8fc52ae87d38a80dbc6a7808f627af6cef59dcc5dfda56828ad19553a7cf11b", "a17000fae0295df73359a8334d75047a9edcd5d0ae2ad0f84e8255f93abb14d1063d2b3c335fad0cdf2ab47ccb304b5600019b8c64499d30b04fd7d62a05407b", 0, "0212d9a4376450c3a1d04f135844b4a44f057deeac05c3ea54d2d4ce9b67410673" },
};

test "signatures are byte-identical to @noble/curves / libsecp256k1" {
    inline for (noble_vectors) |v| {
        const sk = hex(v[0]);
        const digest = hex(v[1]);
        const extra = hex(v[2]);
        var sig: [64]u8 = undefined;
        var recid: u8 = 0xff;
        const extra_ptr: [*c]const u8 = if (extra.len == 32) &extra else null;
        try testing.expectEqual(h.ZC_OK, sign(&sk, &digest, extra_ptr, &sig, &recid));
        try testing.expectEqualSlices(u8, &hex(v[3]), &sig);
        try testing.expectEqual(@as(u8, v[4]), recid);
        const pk = hex(v[5]);
        var got_pk: [33]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, publicKey(&sk, &got_pk, 33));
        try testing.expectEqualSlices(u8, &pk, &got_pk);
        try testing.expectEqual(h.ZC_OK, verify(&pk, 33, &digest, &sig, 0));
        try testing.expectEqual(h.ZC_OK, recover(&digest, &sig, recid, &got_pk, 33));
        try testing.expectEqualSlices(u8, &pk, &got_pk);
    }
}

fn flipS(sig: *[64]u8) void {
    const s = beInt(sig[32..64]);
    sig[32..64].* = beBytes(n - s);
}

test "sign, verify, recover round trip; high-S handling" {
    var i: usize = 0;
    while (i < 64) : (i += 1) {
        var sk: [32]u8 = undefined;
        var digest: [32]u8 = undefined;
        try @import("util.zig").fillRandom(&sk);
        try @import("util.zig").fillRandom(&digest);
        var pk: [65]u8 = undefined;
        if (publicKey(&sk, &pk, 65) != h.ZC_OK) continue; // astronomically unlikely: sk >= n
        var sig: [64]u8 = undefined;
        var recid: u8 = undefined;
        try testing.expectEqual(h.ZC_OK, sign(&sk, &digest, if (i % 2 == 0) null else &digest, &sig, &recid));
        try testing.expect(beInt(sig[32..64]) <= half_n);
        try testing.expectEqual(h.ZC_OK, verify(&pk, 65, &digest, &sig, 0));
        var rec: [65]u8 = undefined;
        try testing.expectEqual(h.ZC_OK, recover(&digest, &sig, recid, &rec, 65));
        try testing.expectEqualSlices(u8, &pk, &rec);
        // Other recovery ids give another key or fail.
        if (recover(&digest, &sig, recid ^ 1, &rec, 65) == h.ZC_OK) try testing.expect(!mem.eql(u8, &pk, &rec));

        // The high-S twin: rejected by default, accepted on request, and it
        // recovers the same key with the flipped parity bit.
        var high = sig;
        flipS(&high);
        try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(&pk, 65, &digest, &high, 0));
        try testing.expectEqual(h.ZC_OK, verify(&pk, 65, &digest, &high, 1));
        try testing.expectEqual(h.ZC_OK, recover(&digest, &high, recid ^ 1, &rec, 65));
        try testing.expectEqualSlices(u8, &pk, &rec);

        // A different digest does not verify.
        digest[0] ^= 1;
        try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(&pk, 65, &digest, &sig, 0));
    }
}

test "verify and recover reject out-of-range signatures and bad keys" {
    const sk = hex("0000000000000000000000000000000000000000000000000000000000000001");
    const digest: [32]u8 = @splat(7);
    var sig: [64]u8 = undefined;
    var recid: u8 = undefined;
    try testing.expectEqual(h.ZC_OK, sign(&sk, &digest, null, &sig, &recid));
    var pk: [33]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKey(&sk, &pk, 33));
    var out: [33]u8 = undefined;

    var bad = sig;
    @memset(bad[0..32], 0); // r = 0
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(&pk, 33, &digest, &bad, 1));
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, recover(&digest, &bad, recid, &out, 33));
    bad = sig;
    bad[32..64].* = beBytes(n); // s = n
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, verify(&pk, 33, &digest, &bad, 1));
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, recover(&digest, &bad, recid, &out, 33));
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, recover(&digest, &sig, 4, &out, 33));
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, recover(&digest, &sig, -1, &out, 33));
    // r + n >= p for this r, so recovery ids 2 and 3 are impossible.
    try testing.expectEqual(h.ZC_ERR_INVALID_SIGNATURE, recover(&digest, &sig, recid | 2, &out, 33));

    var bad_pk = pk;
    bad_pk[0] = 4; // wrong prefix for the length
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, verify(&bad_pk, 33, &digest, &sig, 0));
    bad_pk = pk;
    bad_pk[1] ^= 1; // x not on the curve (7 + x^3 not a square) or a different key
    const rc = verify(&bad_pk, 33, &digest, &sig, 0);
    try testing.expect(rc == h.ZC_ERR_INVALID_KEY or rc == h.ZC_ERR_INVALID_SIGNATURE);
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, verify(&pk, 32, &digest, &sig, 0));
    var uncompressed: [65]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKeyConvert(&pk, 33, &uncompressed, 65));
    uncompressed[64] ^= 1; // off the curve
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, verify(&uncompressed, 65, &digest, &sig, 0));
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, publicKeyConvert(&uncompressed, 65, &out, 33));
}

test "secret key range and length checks" {
    var out: [65]u8 = @splat(0xaa);
    const zero: [32]u8 = @splat(0);
    const order = beBytes(n);
    var sig: [64]u8 = @splat(0xaa);
    var recid: u8 = 9;
    const digest: [32]u8 = @splat(1);
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, publicKey(&zero, &out, 33));
    try testing.expect(mem.allEqual(u8, out[0..33], 0));
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, publicKey(&order, &out, 33));
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, sign(&order, &digest, null, &sig, &recid));
    try testing.expect(mem.allEqual(u8, &sig, 0));
    try testing.expectEqual(@as(u8, 0), recid);
    const one = hex("0000000000000000000000000000000000000000000000000000000000000001");
    try testing.expectEqual(h.ZC_ERR_LENGTH, publicKey(&one, &out, 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, publicKey(null, &out, 33));
    try testing.expectEqual(h.ZC_ERR_LENGTH, sign(&one, null, null, &sig, &recid));
}

test "public key conversion and ECDH" {
    var a: [32]u8 = undefined;
    var b: [32]u8 = undefined;
    try @import("util.zig").fillRandom(&a);
    try @import("util.zig").fillRandom(&b);
    var pa: [33]u8 = undefined;
    var pb: [65]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKey(&a, &pa, 33));
    try testing.expectEqual(h.ZC_OK, publicKey(&b, &pb, 65));
    var conv: [65]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKeyConvert(&pa, 33, &conv, 65));
    var back: [33]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, publicKeyConvert(&conv, 65, &back, 33));
    try testing.expectEqualSlices(u8, &pa, &back);
    try testing.expectEqual(h.ZC_ERR_LENGTH, publicKeyConvert(&pa, 33, &conv, 32));

    var s1: [65]u8 = undefined;
    var s2: [65]u8 = undefined;
    inline for (.{ 32, 33, 65 }) |len| {
        try testing.expectEqual(h.ZC_OK, ecdh(&a, &pb, 65, &s1, len));
        try testing.expectEqual(h.ZC_OK, ecdh(&b, &pa, 33, &s2, len));
        try testing.expectEqualSlices(u8, s1[0..len], s2[0..len]);
    }
    try testing.expectEqualSlices(u8, s1[1..33], s2[1..33]);
    // Known answer: 1 * Q = Q.
    const one = hex("0000000000000000000000000000000000000000000000000000000000000001");
    try testing.expectEqual(h.ZC_OK, ecdh(&one, &pa, 33, &s1, 33));
    try testing.expectEqualSlices(u8, &pa, s1[0..33]);
    try testing.expectEqual(h.ZC_ERR_LENGTH, ecdh(&a, &pa, 33, &s1, 64));
    var bad = pa;
    bad[0] = 5;
    try testing.expectEqual(h.ZC_ERR_INVALID_KEY, ecdh(&a, &bad, 33, &s1, 32));
}
