//! A fixed-size thread pool for the forward pass. The threads belong to the host (Rust
//! spawns them at load, each calls `workerLoop` with its index), so this library never
//! creates threads itself.
//!
//! A job is a number of chunks. The caller publishes it and starts taking chunks at
//! once; each worker takes chunks too (one atomic compare-and-swap each) until none are
//! left, so a worker that is late — asleep, or its core busy with another process — only
//! does less of the job instead of holding it up, and the caller never waits for a
//! worker to wake. The caller then waits only for chunks already being run. Waiting
//! (workers for the next job, the caller for the last chunks) is a bounded spin of about
//! 50 µs (`spin_limit` pauses) and then a futex sleep: inside a forward pass the next job
//! comes within microseconds, between tokens the workers sleep. A job smaller than
//! `inline_work` runs on the caller alone.

const std = @import("std");
const builtin = @import("builtin");

pub const max_threads = 64;

/// Jobs of fewer multiply-adds than this run on the caller alone (about 10-30 µs of
/// work, the order of one futex wake-up of a sleeping worker).
pub const inline_work = 1 << 18;

/// Pause instructions before a waiting thread sleeps on the futex (~55 µs on the
/// 2.8 GHz Xeon of the benchmarks; a forward pass hands out its next job well within it).
const spin_limit = 4000;

/// The most chunks one job may have (the chunk counter's width in `state`).
pub const max_chunks = 1 << 20;

pub const Job = struct {
    /// Runs chunk `chunk` on thread `thread` (0 = the caller; for per-thread scratch).
    run: *const fn (ctx: *const anyopaque, thread: usize, chunk: usize) void,
    ctx: *const anyopaque,
    chunks: usize,
    /// Rough size in multiply-adds (or like units); unknown sizes are shared out.
    work: usize = std.math.maxInt(usize),
};

pub const Pool = struct {
    /// Threads that take part in a job, the caller included (1 = the caller alone).
    count: usize,
    /// Bumped for every job (and at shutdown); idle workers sleep on it.
    epoch: std.atomic.Value(u32) = .init(0),
    /// The current job's epoch (high 24 bits), chunk count (20) and next chunk (20):
    /// a chunk is taken by a compare-and-swap that also proves the job is still current.
    state: std.atomic.Value(u64) = .init(0),
    /// Chunks of the current job finished; the caller sleeps on it.
    done: std.atomic.Value(u32) = .init(0),
    /// Workers asleep on `epoch`, and whether the caller sleeps on `done` (so a wake-up
    /// costs a system call only when someone sleeps).
    sleepers: std.atomic.Value(u32) = .init(0),
    caller_asleep: std.atomic.Value(u32) = .init(0),
    shutdown: std.atomic.Value(bool) = .init(false),
    job: Job = undefined,

    pub fn init(count: usize) Pool {
        return .{ .count = @max(1, @min(count, max_threads)) };
    }

    /// Runs every chunk of `job` and returns when all are done; a single-thread pool or
    /// a job below `inline_work` runs them in order on the caller.
    pub fn run(pool: *Pool, job: Job) void {
        std.debug.assert(job.chunks <= max_chunks);
        if (pool.count == 1 or job.work < inline_work or job.chunks <= 1) {
            for (0..job.chunks) |i| job.run(job.ctx, 0, i);
            return;
        }
        const epoch = pool.epoch.load(.monotonic) +% 1;
        pool.job = job;
        pool.done.store(0, .monotonic);
        pool.state.store(pack(epoch, job.chunks, 0), .release);
        pool.epoch.store(epoch, .seq_cst);
        if (pool.sleepers.load(.seq_cst) > 0) wake(&pool.epoch, std.math.maxInt(i32));
        pool.work(epoch, 0);
        pool.waitDone(@intCast(job.chunks));
    }

    /// Takes and runs chunks of job `epoch` until none are left.
    fn work(pool: *Pool, epoch: u32, thread: usize) void {
        var s = pool.state.load(.acquire);
        while (true) {
            if (epochOf(s) != (epoch & epoch_mask) or nextOf(s) >= chunksOf(s)) return;
            s = pool.state.cmpxchgWeak(s, s + 1, .acq_rel, .acquire) orelse {
                // The claim succeeded, so the job is live and `pool.job` is its own.
                const job = pool.job;
                job.run(job.ctx, thread, nextOf(s));
                const finished = pool.done.fetchAdd(1, .seq_cst) + 1;
                if (finished == chunksOf(s) and pool.caller_asleep.load(.seq_cst) != 0) wake(&pool.done, 1);
                s = pool.state.load(.acquire);
                continue;
            };
        }
    }

    /// The caller's wait for chunks that workers are still running.
    fn waitDone(pool: *Pool, chunks: u32) void {
        var spins: u32 = 0;
        while (true) {
            const now = pool.done.load(.acquire);
            if (now == chunks) return;
            if (spins < spin_limit) {
                spins += 1;
                std.atomic.spinLoopHint();
                continue;
            }
            pool.caller_asleep.store(1, .seq_cst);
            if (pool.done.load(.seq_cst) != chunks) futexWait(&pool.done, now);
            pool.caller_asleep.store(0, .seq_cst);
        }
    }

    /// The body of worker thread `index` (1 ≤ index < count); returns after `stop`.
    pub fn workerLoop(pool: *Pool, index: usize) void {
        std.debug.assert(index >= 1 and index < pool.count);
        var seen: u32 = pool.epoch.load(.acquire);
        while (true) {
            seen = pool.waitEpoch(seen);
            if (pool.shutdown.load(.acquire)) return;
            pool.work(seen, index);
        }
    }

    /// Waits until the epoch moves past `seen` and returns the new one.
    fn waitEpoch(pool: *Pool, seen: u32) u32 {
        var spins: u32 = 0;
        while (true) {
            const now = pool.epoch.load(.acquire);
            if (now != seen) return now;
            if (spins < spin_limit) {
                spins += 1;
                std.atomic.spinLoopHint();
                continue;
            }
            _ = pool.sleepers.fetchAdd(1, .seq_cst);
            if (pool.epoch.load(.seq_cst) == seen) futexWait(&pool.epoch, seen);
            _ = pool.sleepers.fetchSub(1, .seq_cst);
        }
    }

    /// Makes every worker return from `workerLoop` (the host then joins them).
    pub fn stop(pool: *Pool) void {
        pool.shutdown.store(true, .release);
        _ = pool.epoch.fetchAdd(1, .seq_cst);
        wake(&pool.epoch, std.math.maxInt(i32));
    }
};

const epoch_mask: u32 = (1 << 24) - 1;

fn pack(epoch: u32, chunks: usize, next: usize) u64 {
    return @as(u64, epoch & epoch_mask) << 40 | @as(u64, chunks) << 20 | next;
}
fn epochOf(s: u64) u32 {
    return @intCast(s >> 40);
}
fn chunksOf(s: u64) u32 {
    return @intCast((s >> 20) & (max_chunks - 1));
}
fn nextOf(s: u64) u32 {
    return @intCast(s & (max_chunks - 1));
}

/// Sleeps while `*ptr == expected` (returns at once if it differs, or spuriously).
fn futexWait(ptr: *const std.atomic.Value(u32), expected: u32) void {
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

/// Chunks of `step`-aligned size for `n` items on `threads` threads, about `per_thread`
/// per thread: returns the chunk size (a multiple of `step`, at least `step`).
pub fn chunkSize(n: usize, threads: usize, per_thread: usize, step: usize) usize {
    const target = (n + threads * per_thread - 1) / (threads * per_thread);
    const size = @max(step, std.mem.alignForward(usize, target, step));
    return @max(size, std.mem.alignForward(usize, (n + max_chunks - 1) / max_chunks, step));
}

test "every chunk runs exactly once, on any thread, and the pool shuts down" {
    var pool = Pool.init(4);
    var threads: [3]std.Thread = undefined;
    for (&threads, 1..) |*t, i| t.* = try std.Thread.spawn(.{}, Pool.workerLoop, .{ &pool, i });
    const Ctx = struct {
        hits: [64]std.atomic.Value(u32) = @splat(.init(0)),
        by_thread: [4]std.atomic.Value(u32) = @splat(.init(0)),
        fn run(ctx: *const anyopaque, thread: usize, chunk: usize) void {
            const self: *@This() = @ptrCast(@alignCast(@constCast(ctx)));
            _ = self.hits[chunk].fetchAdd(1, .monotonic);
            _ = self.by_thread[thread].fetchAdd(1, .monotonic);
        }
    };
    var ctx: Ctx = .{};
    for (0..2000) |i| pool.run(.{ .run = Ctx.run, .ctx = &ctx, .chunks = 1 + i % 64 });
    var total: u32 = 0;
    for (ctx.by_thread) |h| total += h.load(.monotonic);
    var want: u32 = 0;
    for (0..2000) |i| want += @intCast(1 + i % 64);
    try std.testing.expectEqual(want, total);
    for (ctx.hits, 0..) |h, c| {
        var runs: u32 = 0;
        for (0..2000) |i| runs += @intFromBool(c < 1 + i % 64);
        try std.testing.expectEqual(runs, h.load(.monotonic));
    }
    // A small job never leaves the calling thread: its chunks run in order, as thread 0.
    const Small = struct {
        calls: u32 = 0,
        elsewhere: u32 = 0,
        caller: std.Thread.Id,
        fn run(raw: *const anyopaque, thread: usize, chunk: usize) void {
            const self: *@This() = @ptrCast(@alignCast(@constCast(raw)));
            if (thread != 0 or chunk != self.calls % 3 or std.Thread.getCurrentId() != self.caller) self.elsewhere += 1;
            self.calls += 1;
        }
    };
    var small: Small = .{ .caller = std.Thread.getCurrentId() };
    for (0..100) |_| pool.run(.{ .run = Small.run, .ctx = &small, .chunks = 3, .work = inline_work - 1 });
    try std.testing.expectEqual(@as(u32, 300), small.calls);
    try std.testing.expectEqual(@as(u32, 0), small.elsewhere);
    // Workers that have gone to sleep are woken by the next job.
    std.Io.sleep(std.testing.io, .fromMilliseconds(5), .awake) catch {};
    pool.run(.{ .run = Ctx.run, .ctx = &ctx, .chunks = 64 });
    pool.stop();
    for (threads) |t| t.join();
    try std.testing.expectEqual(@as(usize, 16), chunkSize(100, 2, 4, 16));
    try std.testing.expectEqual(@as(usize, 32), chunkSize(200, 2, 4, 16));
}
