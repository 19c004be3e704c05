//! Hash functions: SHA-256, SHA-512, SHA3-256, SHA3-512, Keccak-256 (Ethereum) and
//! BLAKE3 (plain, keyed, derive-key; XOF output). Streaming states live in
//! caller memory as the plain std state structs, so a memcpy forks a state.

const std = @import("std");
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;
const Blake3 = std.crypto.hash.Blake3;

pub const Alg = enum(c_int) {
    sha256 = h.ZC_SHA256,
    sha512 = h.ZC_SHA512,
    sha3_256 = h.ZC_SHA3_256,
    sha3_512 = h.ZC_SHA3_512,
    keccak256 = h.ZC_KECCAK256,
    blake3 = h.ZC_BLAKE3,
};

pub fn State(comptime alg: Alg) type {
    return switch (alg) {
        .sha256 => std.crypto.hash.sha2.Sha256,
        .sha512 => std.crypto.hash.sha2.Sha512,
        .sha3_256 => std.crypto.hash.sha3.Sha3_256,
        .sha3_512 => std.crypto.hash.sha3.Sha3_512,
        .keccak256 => std.crypto.hash.sha3.Keccak256,
        .blake3 => Blake3,
    };
}

// The caller aligns states to ZC_HASH_STATE_ALIGN; every state type must fit that.
comptime {
    for (std.enums.values(Alg)) |alg| {
        if (@alignOf(State(alg)) > h.ZC_HASH_STATE_ALIGN) @compileError("hash state over-aligned");
    }
}

pub fn parseAlg(alg: c_int) Error!Alg {
    return std.enums.fromInt(Alg, alg) orelse error.Algorithm;
}

/// Views caller memory as a state. Misaligned memory is rejected rather than
/// risking aligned SIMD loads on it.
fn statePtr(comptime alg: Alg, state: ?*anyopaque) Error!*State(alg) {
    const p = state orelse return error.Length;
    if (@intFromPtr(p) % @alignOf(State(alg)) != 0) return error.Length;
    return @ptrCast(@alignCast(p));
}

/// Checks the out_len rule: exact digest length, except BLAKE3 (XOF, >= 1).
fn checkOutLen(comptime alg: Alg, out_len: usize) Error!void {
    const ok = if (alg == .blake3) out_len >= 1 else out_len == State(alg).digest_length;
    if (!ok) return error.Length;
}

fn finish(comptime alg: Alg, st: *State(alg), out: []u8) void {
    if (alg == .blake3) {
        st.final(out);
    } else {
        st.final(out[0..State(alg).digest_length]);
    }
}

pub fn hashStateSize(alg: c_int) callconv(.c) usize {
    switch (parseAlg(alg) catch return 0) {
        inline else => |a| return @sizeOf(State(a)),
    }
}

fn initImpl(alg: c_int, state: ?*anyopaque) Error!void {
    switch (try parseAlg(alg)) {
        inline else => |a| (try statePtr(a, state)).* = State(a).init(.{}),
    }
}

pub fn hashInit(alg: c_int, state: ?*anyopaque) callconv(.c) c_int {
    return common.result(initImpl(alg, state));
}

fn initKeyedImpl(state: ?*anyopaque, key: [*c]const u8) Error!void {
    const st = try statePtr(.blake3, state);
    st.* = Blake3.init(.{ .key = (try common.inFixed(Blake3.key_length, key)).* });
}

pub fn blake3InitKeyed(state: ?*anyopaque, key: [*c]const u8) callconv(.c) c_int {
    return common.result(initKeyedImpl(state, key));
}

fn initDeriveImpl(state: ?*anyopaque, context: [*c]const u8, context_len: usize) Error!void {
    const st = try statePtr(.blake3, state);
    st.* = Blake3.initKdf(try common.in(context, context_len), .{});
}

pub fn blake3InitDeriveKey(state: ?*anyopaque, context: [*c]const u8, context_len: usize) callconv(.c) c_int {
    return common.result(initDeriveImpl(state, context, context_len));
}

fn updateImpl(alg: c_int, state: ?*anyopaque, data: [*c]const u8, data_len: usize) Error!void {
    const bytes = try common.in(data, data_len);
    switch (try parseAlg(alg)) {
        inline else => |a| (try statePtr(a, state)).update(bytes),
    }
}

pub fn hashUpdate(alg: c_int, state: ?*anyopaque, data: [*c]const u8, data_len: usize) callconv(.c) c_int {
    return common.result(updateImpl(alg, state, data, data_len));
}

fn finalImpl(alg: c_int, state: ?*anyopaque, out: [*c]u8, out_len: usize) Error!void {
    switch (try parseAlg(alg)) {
        inline else => |a| {
            try checkOutLen(a, out_len);
            finish(a, try statePtr(a, state), try common.out(out, out_len));
        },
    }
}

pub fn hashFinal(alg: c_int, state: ?*anyopaque, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(finalImpl(alg, state, out, out_len), out, out_len);
}

fn hashImpl(alg: c_int, data: [*c]const u8, data_len: usize, out: [*c]u8, out_len: usize) Error!void {
    const bytes = try common.in(data, data_len);
    switch (try parseAlg(alg)) {
        inline else => |a| {
            try checkOutLen(a, out_len);
            const dst = try common.out(out, out_len);
            var st = State(a).init(.{});
            st.update(bytes);
            finish(a, &st, dst);
        },
    }
}

pub fn hash(alg: c_int, data: [*c]const u8, data_len: usize, out: [*c]u8, out_len: usize) callconv(.c) c_int {
    return common.resultWipe(hashImpl(alg, data, data_len, out, out_len), out, out_len);
}

// ---------------------------------------------------------------------------
// Tests

const testing = std.testing;
const hex = common.hex;

fn expectHash(alg: c_int, msg: []const u8, comptime want_hex: []const u8) !void {
    const want = hex(want_hex);
    var got: [want.len]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, hash(alg, msg.ptr, msg.len, &got, got.len));
    try testing.expectEqualSlices(u8, &want, &got);

    // Streaming in two pieces gives the same digest.
    var state: [2048]u8 align(64) = undefined;
    try testing.expect(hashStateSize(alg) <= state.len);
    try testing.expectEqual(h.ZC_OK, hashInit(alg, &state));
    try testing.expectEqual(h.ZC_OK, hashUpdate(alg, &state, msg.ptr, msg.len / 2));
    try testing.expectEqual(h.ZC_OK, hashUpdate(alg, &state, msg[msg.len / 2 ..].ptr, msg.len - msg.len / 2));
    @memset(&got, 0);
    try testing.expectEqual(h.ZC_OK, hashFinal(alg, &state, &got, got.len));
    try testing.expectEqualSlices(u8, &want, &got);
}

test "SHA-2 vectors" {
    try expectHash(h.ZC_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    try expectHash(h.ZC_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    try expectHash(h.ZC_SHA512, "", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    try expectHash(h.ZC_SHA512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

test "SHA-3 and Keccak vectors" {
    try expectHash(h.ZC_SHA3_256, "", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    try expectHash(h.ZC_SHA3_256, "abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    try expectHash(h.ZC_SHA3_512, "", "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26");
    try expectHash(h.ZC_SHA3_512, "abc", "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
    try expectHash(h.ZC_KECCAK256, "", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    try expectHash(h.ZC_KECCAK256, "abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

test "BLAKE3 vectors" {
    try expectHash(h.ZC_BLAKE3, "", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    try expectHash(h.ZC_BLAKE3, "abc", "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    // XOF: a longer output extends the 32-byte digest.
    var long: [131]u8 = undefined;
    try testing.expectEqual(h.ZC_OK, hash(h.ZC_BLAKE3, "abc", 3, &long, long.len));
    try testing.expectEqualSlices(u8, &hex("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"), long[0..32]);
}

test "BLAKE3 keyed and derive-key modes (official test vectors, empty input)" {
    var state: [@sizeOf(Blake3)]u8 align(64) = undefined;
    var out: [32]u8 = undefined;
    const key = "whats the Elvish word for friend".*;
    try testing.expectEqual(h.ZC_OK, blake3InitKeyed(&state, &key));
    try testing.expectEqual(h.ZC_OK, hashFinal(h.ZC_BLAKE3, &state, &out, out.len));
    try testing.expectEqualSlices(u8, &hex("92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26"), &out);
    const ctx = "BLAKE3 2019-12-27 16:29:52 test vectors context";
    try testing.expectEqual(h.ZC_OK, blake3InitDeriveKey(&state, ctx, ctx.len));
    try testing.expectEqual(h.ZC_OK, hashFinal(h.ZC_BLAKE3, &state, &out, out.len));
    try testing.expectEqualSlices(u8, &hex("2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d"), &out);
}

test "hash argument validation" {
    var out: [64]u8 = @splat(0xaa);
    try testing.expectEqual(h.ZC_ERR_ALGORITHM, hash(0, "", 0, &out, 32));
    try testing.expectEqual(h.ZC_ERR_ALGORITHM, hash(7, "", 0, &out, 32));
    try testing.expectEqual(@as(usize, 0), hashStateSize(99));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hash(h.ZC_SHA256, "", 0, &out, 31));
    try testing.expectEqualSlices(u8, &@as([31]u8, @splat(0)), out[0..31]);
    try testing.expectEqual(h.ZC_ERR_LENGTH, hash(h.ZC_SHA512, "", 0, &out, 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hash(h.ZC_BLAKE3, "", 0, &out, 0));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hash(h.ZC_SHA256, null, 3, &out, 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hash(h.ZC_SHA256, "", 0, null, 32));
    try testing.expectEqual(h.ZC_OK, hash(h.ZC_SHA256, null, 0, &out, 32));
    try testing.expectEqual(h.ZC_ERR_LENGTH, hashInit(h.ZC_SHA256, null));
    var state: [256]u8 align(64) = undefined;
    try testing.expectEqual(h.ZC_ERR_LENGTH, hashInit(h.ZC_SHA256, @ptrCast(&state[1])));
}
