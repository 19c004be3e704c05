//! Shared helpers: the internal error set, its mapping to ZC_* status codes, and
//! the conversion of C (pointer, length) pairs into checked Zig slices.

const std = @import("std");
const h = @import("zcrypto_h");

/// Every failure an implementation can report. Functions are written as
/// `Error!void` and converted to a status code once, at the C boundary.
pub const Error = error{
    Length,
    InvalidKey,
    InvalidSignature,
    Auth,
    WeakKey,
    Params,
    NoMem,
    Random,
    Algorithm,
};

pub fn status(e: Error) c_int {
    return switch (e) {
        error.Length => h.ZC_ERR_LENGTH,
        error.InvalidKey => h.ZC_ERR_INVALID_KEY,
        error.InvalidSignature => h.ZC_ERR_INVALID_SIGNATURE,
        error.Auth => h.ZC_ERR_AUTH,
        error.WeakKey => h.ZC_ERR_WEAK_KEY,
        error.Params => h.ZC_ERR_PARAMS,
        error.NoMem => h.ZC_ERR_NOMEM,
        error.Random => h.ZC_ERR_RANDOM,
        error.Algorithm => h.ZC_ERR_ALGORITHM,
    };
}

/// Converts an implementation result into a status code.
pub fn result(r: Error!void) c_int {
    r catch |e| return status(e);
    return h.ZC_OK;
}

/// An input buffer. A null pointer is only acceptable with a zero length;
/// a zero length never dereferences the pointer.
pub fn in(p: [*c]const u8, len: usize) Error![]const u8 {
    if (len == 0) return &.{};
    if (p == null) return error.Length;
    return p[0..len];
}

/// An output buffer, with the same rules as `in`.
pub fn out(p: [*c]u8, len: usize) Error![]u8 {
    if (len == 0) return &.{};
    if (p == null) return error.Length;
    return p[0..len];
}

/// A fixed-size input (keys, digests, signatures): null is a length error.
pub fn inFixed(comptime n: usize, p: [*c]const u8) Error!*const [n]u8 {
    if (p == null) return error.Length;
    return p[0..n];
}

/// A fixed-size output.
pub fn outFixed(comptime n: usize, p: [*c]u8) Error!*[n]u8 {
    if (p == null) return error.Length;
    return p[0..n];
}

/// Wipes an output buffer after a failure so that it never holds partial
/// secret material. Null pointers are ignored: there is nothing to wipe.
pub fn wipe(p: [*c]u8, len: usize) void {
    if (p == null or len == 0) return;
    std.crypto.secureZero(u8, p[0..len]);
}

/// Runs an implementation and wipes `len` bytes of its output on failure.
pub fn resultWipe(r: Error!void, p: [*c]u8, len: usize) c_int {
    r catch |e| {
        wipe(p, len);
        return status(e);
    };
    return h.ZC_OK;
}

/// Parses hex at compile time (test vectors).
pub fn hex(comptime s: []const u8) [s.len / 2]u8 {
    var buf: [s.len / 2]u8 = undefined;
    _ = std.fmt.hexToBytes(&buf, s) catch unreachable;
    return buf;
}

test "pointer and length checks" {
    const t = std.testing;
    try t.expectEqual(@as(usize, 0), (try in(null, 0)).len);
    try t.expectError(error.Length, in(null, 1));
    try t.expectError(error.Length, out(null, 1));
    try t.expectError(error.Length, inFixed(32, null));
    var b: [3]u8 = .{ 1, 2, 3 };
    wipe(&b, b.len);
    try t.expectEqualSlices(u8, &.{ 0, 0, 0 }, &b);
    try t.expectEqual(h.ZC_ERR_LENGTH, result(error.Length));
    try t.expectEqual(h.ZC_OK, result({}));
}
