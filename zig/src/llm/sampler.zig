//! Picks the next token from a row of logits.
//!
//! API:
//!
//!   var s = try Sampler.init(gpa, n_vocab, .{
//!       .temperature = 0.8,      // <= 0: greedy (argmax after penalties)
//!       .top_k = 40,             // 0: off
//!       .top_p = 0.95,           // >= 1: off
//!       .min_p = 0.05,           // <= 0: off
//!       .repeat_penalty = 1.1,   // 1: off (llama.cpp style: divide positive, multiply negative)
//!       .presence_penalty = 0,   // subtracted once from every token seen in the window
//!       .frequency_penalty = 0,  // subtracted per occurrence in the window
//!       .penalty_last_n = 64,    // window of recent ids the penalties look at
//!       .seed = 42,              // same seed, same logits -> same ids
//!   });
//!   defer s.deinit(gpa);
//!   s.accept(id);                // feed prompt / generated ids into the penalty window
//!   const id = s.sample(logits); // logits: []const f32 of n_vocab, not modified
//!   s.reset(seed);               // new sequence
//!
//! Every buffer is allocated by init; sample/accept never allocate. The pipeline is
//! penalties -> top-k -> min-p -> top-p -> temperature -> softmax -> draw, each filter
//! on the untempered logits, like llama.cpp's default chain.

const std = @import("std");
const Allocator = std.mem.Allocator;

pub const Params = struct {
    temperature: f32 = 0.8,
    top_k: u32 = 40,
    top_p: f32 = 0.95,
    min_p: f32 = 0.05,
    repeat_penalty: f32 = 1.0,
    presence_penalty: f32 = 0,
    frequency_penalty: f32 = 0,
    penalty_last_n: u32 = 64,
    seed: u64 = 0,

    pub const greedy: Params = .{ .temperature = 0, .top_k = 0, .top_p = 1, .min_p = 0 };
};

pub const Error = error{ OutOfMemory, InvalidParams };

const Cand = struct { id: u32, logit: f32 };

pub const Sampler = struct {
    params: Params,
    n_vocab: u32,
    cands: []Cand,
    /// Scratch per token id: occurrences in the penalty window (kept zero between calls).
    counts: []u32,
    /// Ring buffer of the last penalty_last_n ids.
    history: []u32,
    hist_len: usize,
    hist_pos: usize,
    rng: std.Random.DefaultPrng,

    pub fn init(gpa: Allocator, n_vocab: u32, params: Params) Error!Sampler {
        try validate(params);
        if (n_vocab == 0) return error.InvalidParams;
        const cands = try gpa.alloc(Cand, n_vocab);
        errdefer gpa.free(cands);
        const counts = try gpa.alloc(u32, n_vocab);
        errdefer gpa.free(counts);
        @memset(counts, 0);
        const history = try gpa.alloc(u32, params.penalty_last_n);
        return .{
            .params = params,
            .n_vocab = n_vocab,
            .cands = cands,
            .counts = counts,
            .history = history,
            .hist_len = 0,
            .hist_pos = 0,
            .rng = std.Random.DefaultPrng.init(params.seed),
        };
    }

    pub fn validate(p: Params) Error!void {
        const finite = std.math.isFinite;
        if (!finite(p.temperature) or !finite(p.top_p) or !finite(p.min_p)) return error.InvalidParams;
        if (!finite(p.repeat_penalty) or !finite(p.presence_penalty) or !finite(p.frequency_penalty)) return error.InvalidParams;
        if (p.top_p < 0 or p.min_p < 0 or p.min_p > 1 or p.repeat_penalty <= 0) return error.InvalidParams;
        if (p.penalty_last_n > 1 << 20) return error.InvalidParams;
    }

    pub fn deinit(s: *Sampler, gpa: Allocator) void {
        gpa.free(s.cands);
        gpa.free(s.counts);
        gpa.free(s.history);
        s.* = undefined;
    }

    /// Starts a new sequence: empty penalty window, PRNG reseeded.
    pub fn reset(s: *Sampler, seed: u64) void {
        s.hist_len = 0;
        s.hist_pos = 0;
        s.params.seed = seed;
        s.rng = std.Random.DefaultPrng.init(seed);
    }

    /// Records an id in the penalty window (prompt ids and sampled ids alike).
    pub fn accept(s: *Sampler, id: u32) void {
        if (s.history.len == 0) return;
        s.history[s.hist_pos] = id;
        s.hist_pos = (s.hist_pos + 1) % s.history.len;
        if (s.hist_len < s.history.len) s.hist_len += 1;
    }

    fn penaltiesActive(p: Params) bool {
        return p.repeat_penalty != 1 or p.presence_penalty != 0 or p.frequency_penalty != 0;
    }

    /// Returns the next id. `logits.len` must equal n_vocab.
    pub fn sample(s: *Sampler, logits: []const f32) u32 {
        std.debug.assert(logits.len == s.n_vocab);
        const p = s.params;
        var c = s.cands;
        for (c, logits, 0..) |*x, l, i| x.* = .{ .id = @intCast(i), .logit = if (std.math.isNan(l)) -std.math.inf(f32) else l };

        if (penaltiesActive(p) and s.hist_len > 0) {
            const h = s.history[0..s.hist_len];
            for (h) |id| if (id < s.n_vocab) {
                s.counts[id] += 1;
            };
            for (h) |id| if (id < s.n_vocab and s.counts[id] > 0) {
                const n: f32 = @floatFromInt(s.counts[id]);
                var l = c[id].logit;
                l = if (l <= 0) l * p.repeat_penalty else l / p.repeat_penalty;
                l -= n * p.frequency_penalty + p.presence_penalty;
                c[id].logit = l;
                s.counts[id] = 0; // each id penalised once; also restores the zeroed scratch
            };
        }

        if (p.temperature <= 0) {
            var best: usize = 0;
            for (c, 0..) |x, i| if (x.logit > c[best].logit) {
                best = i;
            };
            return c[best].id;
        }

        // top-k: move the k best to the front (unordered), then sort them.
        var n: usize = c.len;
        if (p.top_k > 0 and p.top_k < n) {
            quickselect(c, p.top_k);
            n = p.top_k;
        }
        c = c[0..n];
        var max: f32 = -std.math.inf(f32);
        for (c) |x| max = @max(max, x.logit);
        if (max == -std.math.inf(f32)) return c[0].id;

        // min-p: keep tokens whose probability is at least min_p x the best one's.
        if (p.min_p > 0) {
            const floor = max + @log(p.min_p);
            var k: usize = 0;
            for (c) |x| if (x.logit >= floor) {
                c[k] = x;
                k += 1;
            };
            c = c[0..k];
        }

        // top-p: the smallest prefix (by logit) whose probability mass reaches top_p.
        if (p.top_p < 1) {
            std.mem.sort(Cand, c, {}, desc);
            var sum: f64 = 0;
            for (c) |x| sum += @exp(@as(f64, x.logit - max));
            var cum: f64 = 0;
            var keep: usize = c.len;
            for (c, 0..) |x, i| {
                cum += @exp(@as(f64, x.logit - max)) / sum;
                if (cum >= p.top_p) {
                    keep = i + 1;
                    break;
                }
            }
            c = c[0..@max(keep, 1)];
        }

        // temperature, softmax, draw.
        var total: f64 = 0;
        for (c) |x| total += @exp(@as(f64, (x.logit - max) / p.temperature));
        var r = s.rng.random().float(f64) * total;
        for (c) |x| {
            r -= @exp(@as(f64, (x.logit - max) / p.temperature));
            if (r < 0) return x.id;
        }
        return c[c.len - 1].id;
    }

    fn desc(_: void, a: Cand, b: Cand) bool {
        return if (a.logit != b.logit) a.logit > b.logit else a.id < b.id;
    }

    /// Rearranges `c` so its first k entries are the k largest (ties: lower id).
    fn quickselect(c: []Cand, k: usize) void {
        var lo: usize = 0;
        var hi: usize = c.len;
        while (hi - lo > 1) {
            // median of three as pivot
            const mid = lo + (hi - lo) / 2;
            var a = c[lo];
            var b = c[mid];
            var d = c[hi - 1];
            if (desc({}, b, a)) std.mem.swap(Cand, &a, &b);
            if (desc({}, d, b)) std.mem.swap(Cand, &b, &d);
            if (desc({}, b, a)) std.mem.swap(Cand, &a, &b);
            const pivot = b;
            // three-way partition: [before pivot | equal | after]
            var lt = lo;
            var i = lo;
            var gt = hi;
            while (i < gt) {
                if (desc({}, c[i], pivot)) {
                    std.mem.swap(Cand, &c[i], &c[lt]);
                    lt += 1;
                    i += 1;
                } else if (desc({}, pivot, c[i])) {
                    gt -= 1;
                    std.mem.swap(Cand, &c[i], &c[gt]);
                } else i += 1;
            }
            if (k <= lt) {
                hi = lt;
            } else if (k <= gt) {
                return;
            } else {
                lo = gt;
            }
        }
    }
};

// ---------------------------------------------------------------------------------------
// Tests

const testing = std.testing;

test "greedy takes the first maximum" {
    var s = try Sampler.init(testing.allocator, 5, Params.greedy);
    defer s.deinit(testing.allocator);
    try testing.expectEqual(@as(u32, 2), s.sample(&.{ 0.1, 3, 4, 4, -1 }));
}

test "repetition, presence and frequency penalties" {
    const gpa = testing.allocator;
    var p = Params.greedy;
    p.repeat_penalty = 2;
    var s = try Sampler.init(gpa, 3, p);
    defer s.deinit(gpa);
    s.accept(0);
    // 4/2 = 2 < 3: token 1 wins.
    try testing.expectEqual(@as(u32, 1), s.sample(&.{ 4, 3, -1 }));
    // Negative logits are multiplied: -1 * 2 = -2 < -1.5.
    s.reset(0);
    s.accept(2);
    try testing.expectEqual(@as(u32, 0), s.sample(&.{ -1.5, -3, -1 }));

    var q = Params.greedy;
    q.frequency_penalty = 1;
    q.presence_penalty = 0.5;
    q.penalty_last_n = 4;
    var t = try Sampler.init(gpa, 3, q);
    defer t.deinit(gpa);
    t.accept(0);
    t.accept(0);
    // 5 - 2*1 - 0.5 = 2.5 < 3
    try testing.expectEqual(@as(u32, 1), t.sample(&.{ 5, 3, 0 }));
    // The window forgets: after 4 more ids, token 0 is no longer penalised.
    for (0..4) |_| t.accept(2);
    try testing.expectEqual(@as(u32, 0), t.sample(&.{ 5, 3, 0 }));
    // counts scratch is left zeroed
    for (t.counts) |x| try testing.expectEqual(@as(u32, 0), x);
}

test "same seed gives the same draws, top-k limits the choice" {
    const gpa = testing.allocator;
    var logits: [1000]f32 = undefined;
    for (&logits, 0..) |*l, i| l.* = @sin(@as(f32, @floatFromInt(i)) * 0.37) * 3;
    var p: Params = .{ .temperature = 1.5, .top_k = 10, .top_p = 1, .min_p = 0, .seed = 7 };
    var a = try Sampler.init(gpa, 1000, p);
    defer a.deinit(gpa);
    var b = try Sampler.init(gpa, 1000, p);
    defer b.deinit(gpa);
    // the ten best ids
    var order: [1000]u32 = undefined;
    for (&order, 0..) |*o, i| o.* = @intCast(i);
    const Ctx = struct {
        l: []const f32,
        fn lt(ctx: @This(), x: u32, y: u32) bool {
            return ctx.l[x] > ctx.l[y];
        }
    };
    std.mem.sort(u32, &order, Ctx{ .l = &logits }, Ctx.lt);
    var seen: std.StaticBitSet(1000) = .empty;
    for (0..200) |_| {
        const x = a.sample(&logits);
        try testing.expectEqual(x, b.sample(&logits));
        try testing.expect(std.mem.indexOfScalar(u32, order[0..10], x) != null);
        seen.set(x);
    }
    // with temperature 1.5 more than one of the ten comes up
    try testing.expect(seen.count() > 1);
    p.seed = 8;
    var c = try Sampler.init(gpa, 1000, p);
    defer c.deinit(gpa);
    a.reset(7);
    var differ = false;
    for (0..50) |_| {
        if (a.sample(&logits) != c.sample(&logits)) differ = true;
    }
    try testing.expect(differ);
}

test "top-p and min-p cut the tail" {
    const gpa = testing.allocator;
    // probabilities ~ 0.665, 0.245, 0.090 (logits 2, 1, 0)
    const logits = [_]f32{ 0, 2, 1 };
    var s = try Sampler.init(gpa, 3, .{ .temperature = 1, .top_k = 0, .top_p = 0.6, .min_p = 0, .seed = 1 });
    defer s.deinit(gpa);
    for (0..100) |_| try testing.expectEqual(@as(u32, 1), s.sample(&logits));
    var m = try Sampler.init(gpa, 3, .{ .temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0.3, .seed = 1 });
    defer m.deinit(gpa);
    var saw = [_]bool{ false, false, false };
    for (0..300) |_| saw[m.sample(&logits)] = true;
    try testing.expect(!saw[0] and saw[1] and saw[2]);
    try testing.expectError(error.InvalidParams, Sampler.init(gpa, 3, .{ .temperature = std.math.nan(f32) }));
    try testing.expectError(error.InvalidParams, Sampler.init(gpa, 3, .{ .repeat_penalty = 0 }));
}

test "quickselect keeps the k largest" {
    var prng = std.Random.DefaultPrng.init(3);
    const r = prng.random();
    var c: [257]Cand = undefined;
    for (&c, 0..) |*x, i| x.* = .{ .id = @intCast(i), .logit = @floatFromInt(r.intRangeAtMost(i32, -20, 20)) };
    var sorted = c;
    std.mem.sort(Cand, &sorted, {}, Sampler.desc);
    for ([_]usize{ 1, 5, 40, 256 }) |k| {
        var w = c;
        Sampler.quickselect(&w, k);
        std.mem.sort(Cand, w[0..k], {}, Sampler.desc);
        for (w[0..k], sorted[0..k]) |x, y| try testing.expectEqual(y.id, x.id);
    }
}
