//! A fixed-size thread pool for the forward pass. The threads belong to the host (Rust
//! spawns them at load, each calls `workerLoop` with its index), so this library never
//! creates threads itself. Idle workers sleep on a futex; a job wakes them, each runs
//! its share, and the last one to finish wakes the caller. A short bounded spin before
//! sleeping keeps the per-matmul hand-off cheap during a forward pass. A job smaller than
//! `inline_work` runs on the calling thread alone: waking a sleeping worker costs tens of
//! µs (far more on a busy machine), more than a small model's matrix-vector product.

const std = @import("std");
const builtin = @import("builtin");

pub const max_threads = 64;

/// Jobs of fewer multiply-adds than this run on the caller alone (about 10-30 µs of
/// work, the order of one futex wake-up of a sleeping worker).
pub const inline_work = 1 << 18;

pub const Job = struct {
    run: *const fn (ctx: *const anyopaque, index: usize, count: usize) void,
    ctx: *const anyopaque,
    /// Rough size in multiply-adds (or like units); unknown sizes are shared out.
    work: usize = std.math.maxInt(usize),
};

pub const Pool = struct {
    /// Threads that take part in a job, the caller included (1 = the caller alone).
    count: usize,
    /// Bumped for every job (and at shutdown); workers sleep on it.
    epoch: std.atomic.Value(u32) = .init(0),
    /// Workers still running the current job; the caller sleeps on it.
    pending: std.atomic.Value(u32) = .init(0),
    shutdown: std.atomic.Value(bool) = .init(false),
    job: Job = undefined,

    pub fn init(count: usize) Pool {
        return .{ .count = @max(1, @min(count, max_threads)) };
    }

    /// Runs `job` on every thread (index 0 is the caller) and returns when all are done;
    /// a single-thread pool or a job below `inline_work` runs as `(0, 1)` on the caller.
    pub fn run(pool: *Pool, job: Job) void {
        if (pool.count == 1 or job.work < inline_work) return job.run(job.ctx, 0, 1);
        pool.job = job;
        pool.pending.store(@intCast(pool.count - 1), .release);
        _ = pool.epoch.fetchAdd(1, .release);
        wake(&pool.epoch, std.math.maxInt(i32));
        job.run(job.ctx, 0, pool.count);
        while (true) {
            const left = pool.pending.load(.acquire);
            if (left == 0) break;
            waitFor(&pool.pending, left);
        }
    }

    /// The body of worker thread `index` (1 ≤ index < count); returns after `stop`.
    /// Each of the `count - 1` workers calls it once; no job can finish without all of
    /// them, so a worker that starts late still sees every epoch after 0.
    pub fn workerLoop(pool: *Pool, index: usize) void {
        std.debug.assert(index >= 1 and index < pool.count);
        var seen: u32 = 0;
        while (true) {
            var now = pool.epoch.load(.acquire);
            while (now == seen) {
                waitFor(&pool.epoch, seen);
                now = pool.epoch.load(.acquire);
            }
            seen = now;
            if (pool.shutdown.load(.acquire)) return;
            pool.job.run(pool.job.ctx, index, pool.count);
            if (pool.pending.fetchSub(1, .acq_rel) == 1) wake(&pool.pending, 1);
        }
    }

    /// Makes every worker return from `workerLoop` (the host then joins them).
    pub fn stop(pool: *Pool) void {
        pool.shutdown.store(true, .release);
        _ = pool.epoch.fetchAdd(1, .release);
        wake(&pool.epoch, std.math.maxInt(i32));
    }
};

/// Sleeps while `*ptr == expected`, after a short spin (a hand-off usually takes µs).
fn waitFor(ptr: *const std.atomic.Value(u32), expected: u32) void {
    var spins: u32 = 0;
    while (spins < 4000) : (spins += 1) {
        if (ptr.load(.acquire) != expected) return;
        std.atomic.spinLoopHint();
    }
    if (builtin.os.tag == .linux) {
        const linux = std.os.linux;
        _ = linux.futex_4arg(&ptr.raw, .{ .cmd = .WAIT, .private = true }, expected, null);
    } else {
        while (ptr.load(.acquire) == expected) std.atomic.spinLoopHint();
    }
}

fn wake(ptr: *const std.atomic.Value(u32), count: u32) void {
    if (builtin.os.tag == .linux) {
        const linux = std.os.linux;
        _ = linux.futex_3arg(&ptr.raw, .{ .cmd = .WAKE, .private = true }, count);
    }
}

/// The share `[start, end)` of `n` items for thread `index` of `count`, in `step` units.
pub fn share(n: usize, index: usize, count: usize, step: usize) struct { usize, usize } {
    const units = (n + step - 1) / step;
    const start = units * index / count * step;
    const end = @min(n, units * (index + 1) / count * step);
    return .{ @min(start, n), end };
}

test "a job runs on every thread and the pool shuts down" {
    var pool = Pool.init(4);
    var threads: [3]std.Thread = undefined;
    for (&threads, 1..) |*t, i| t.* = try std.Thread.spawn(.{}, Pool.workerLoop, .{ &pool, i });
    const Ctx = struct {
        hits: [4]std.atomic.Value(u32) = .{ .init(0), .init(0), .init(0), .init(0) },
        fn run(ctx: *const anyopaque, index: usize, count: usize) void {
            const self: *@This() = @ptrCast(@alignCast(@constCast(ctx)));
            std.debug.assert(count == 4);
            _ = self.hits[index].fetchAdd(1, .monotonic);
        }
    };
    var ctx: Ctx = .{};
    for (0..1000) |_| pool.run(.{ .run = Ctx.run, .ctx = &ctx });
    // A small job never leaves the calling thread: one call, as thread 0 of 1.
    const Small = struct {
        calls: u32 = 0,
        elsewhere: u32 = 0,
        caller: std.Thread.Id,
        fn run(raw: *const anyopaque, index: usize, count: usize) void {
            const self: *@This() = @ptrCast(@alignCast(@constCast(raw)));
            if (index != 0 or count != 1 or std.Thread.getCurrentId() != self.caller) self.elsewhere += 1;
            self.calls += 1;
        }
    };
    var small: Small = .{ .caller = std.Thread.getCurrentId() };
    for (0..100) |_| pool.run(.{ .run = Small.run, .ctx = &small, .work = inline_work - 1 });
    try std.testing.expectEqual(@as(u32, 100), small.calls);
    try std.testing.expectEqual(@as(u32, 0), small.elsewhere);
    for (0..100) |_| pool.run(.{ .run = Ctx.run, .ctx = &ctx, .work = inline_work });
    pool.stop();
    for (threads) |t| t.join();
    for (ctx.hits) |h| try std.testing.expectEqual(@as(u32, 1100), h.load(.monotonic));
    const a = share(100, 0, 3, 8);
    const b = share(100, 2, 3, 8);
    try std.testing.expectEqual(@as(usize, 0), a[0]);
    try std.testing.expectEqual(@as(usize, 100), b[1]);
}
