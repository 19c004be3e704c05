//! Utilities: OS randomness, constant-time comparison, secure zeroing.

const std = @import("std");
const linux = std.os.linux;
const h = @import("zcrypto_h");
const common = @import("common.zig");
const Error = common.Error;

/// Fills `buf` from the getrandom syscall. The library links no libc, so the
/// syscall is issued directly; partial reads (large requests, signals) loop.
pub fn fillRandom(buf: []u8) Error!void {
    var done: usize = 0;
    while (done < buf.len) {
        const rc = linux.getrandom(buf[done..].ptr, buf.len - done, 0);
        switch (linux.errno(rc)) {
            .SUCCESS => done += rc,
            .INTR, .AGAIN => continue,
            else => return error.Random,
        }
    }
}

fn randomBytesImpl(p: [*c]u8, len: usize) Error!void {
    try fillRandom(try common.out(p, len));
}

pub fn randomBytes(p: [*c]u8, len: usize) callconv(.c) c_int {
    return common.resultWipe(randomBytesImpl(p, len), p, len);
}

/// Constant-time equality of two slices of equal length: accumulates the xor of
/// every byte pair with no early exit, so timing depends only on `len`.
pub fn ctEql(a: []const u8, b: []const u8) bool {
    std.debug.assert(a.len == b.len);
    var acc: u8 = 0;
    for (a, b) |x, y| acc |= x ^ y;
    // Keep the optimizer from turning the reduction into an early-exit compare.
    std.mem.doNotOptimizeAway(acc);
    return acc == 0;
}

pub fn timingSafeEqual(a: [*c]const u8, b: [*c]const u8, len: usize) callconv(.c) c_int {
    const sa = common.in(a, len) catch return 0;
    const sb = common.in(b, len) catch return 0;
    return @intFromBool(ctEql(sa, sb));
}

pub fn secureZero(buf: [*c]u8, len: usize) callconv(.c) void {
    common.wipe(buf, len);
}

test "random bytes" {
    var a: [64]u8 = @splat(0);
    var b: [64]u8 = @splat(0);
    try std.testing.expectEqual(h.ZC_OK, randomBytes(&a, a.len));
    try std.testing.expectEqual(h.ZC_OK, randomBytes(&b, b.len));
    try std.testing.expect(!std.mem.eql(u8, &a, &b));
    try std.testing.expectEqual(h.ZC_OK, randomBytes(null, 0));
    try std.testing.expectEqual(h.ZC_ERR_LENGTH, randomBytes(null, 1));
    // Large requests may be served in several syscalls.
    const big = try std.testing.allocator.alloc(u8, 40 << 20);
    defer std.testing.allocator.free(big);
    try std.testing.expectEqual(h.ZC_OK, randomBytes(big.ptr, big.len));
}

test "timing safe equal and secure zero" {
    const t = std.testing;
    var a = [_]u8{ 1, 2, 3, 4 };
    const b = [_]u8{ 1, 2, 3, 4 };
    const c = [_]u8{ 1, 2, 3, 5 };
    try t.expectEqual(@as(c_int, 1), timingSafeEqual(&a, &b, 4));
    try t.expectEqual(@as(c_int, 0), timingSafeEqual(&a, &c, 4));
    try t.expectEqual(@as(c_int, 1), timingSafeEqual(null, null, 0));
    try t.expectEqual(@as(c_int, 0), timingSafeEqual(null, &b, 4));
    secureZero(&a, a.len);
    try t.expectEqualSlices(u8, &.{ 0, 0, 0, 0 }, &a);
    secureZero(null, 5);
}
