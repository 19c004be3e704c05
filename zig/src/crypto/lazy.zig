//! Process-wide values built on first use (precomputed point tables), safe
//! for concurrent first callers: the library has no libc (no pthread_once),
//! and several JS worker threads may call in at once. One caller wins a flag
//! and builds; the others spin until the value is published (a build takes
//! well under a millisecond).

const std = @import("std");

pub fn Lazy(comptime T: type, comptime build: fn (*T) void) type {
    return struct {
        var value: T = undefined;
        var state: std.atomic.Value(u8) = .init(empty);
        const empty = 0;
        const building = 1;
        const ready = 2;

        pub fn get() *const T {
            // Acquire pairs with the builder's release: a reader that sees
            // `ready` also sees the whole table.
            if (state.load(.acquire) == ready) return &value;
            if (state.cmpxchgStrong(empty, building, .acquire, .monotonic) == null) {
                build(&value);
                state.store(ready, .release);
            } else {
                while (state.load(.acquire) != ready) std.atomic.spinLoopHint();
            }
            return &value;
        }
    };
}

test "built once, visible to concurrent callers" {
    const S = struct {
        var builds: std.atomic.Value(u32) = .init(0);
        fn build(v: *[1024]u32) void {
            _ = builds.fetchAdd(1, .monotonic);
            for (v, 0..) |*x, i| x.* = @intCast(i * 3);
        }
        const L = Lazy([1024]u32, build);
        fn run(ok: *bool) void {
            const v = L.get();
            ok.* = v[1023] == 1023 * 3 and v[7] == 21;
        }
    };
    var oks: [4]bool = @splat(false);
    var threads: [4]std.Thread = undefined;
    for (&threads, &oks) |*t, *ok| t.* = try std.Thread.spawn(.{}, S.run, .{ok});
    for (threads) |t| t.join();
    for (oks) |ok| try std.testing.expect(ok);
    try std.testing.expectEqual(@as(u32, 1), S.builds.load(.monotonic));
}
