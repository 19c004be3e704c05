//! End-to-end checks of the engine on the shared test models (`../shared/models`,
//! beside the clone): stories260K's logits and greedy tokens against llama.cpp.

const std = @import("std");
const model_mod = @import("model.zig");
const Context = @import("forward.zig").Context;

fn readModel(gpa: std.mem.Allocator, name: []const u8) ![]u8 {
    var buf: [256]u8 = undefined;
    const path = try std.fmt.bufPrint(&buf, "../shared/models/{s}", .{name});
    return std.Io.Dir.cwd().readFileAlloc(std.testing.io, path, gpa, .limited(64 << 20)) catch |e| {
        std.debug.print("cannot read {s} (run from the clone, ../shared must exist): {s}\n", .{ path, @errorName(e) });
        return e;
    };
}

fn argmax(x: []const f32) u32 {
    var best: usize = 0;
    for (x, 0..) |v, i| if (v > x[best]) {
        best = i;
    };
    return @intCast(best);
}

const stories_greedy = [_]u32{ 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432 };

fn greedy(gpa: std.mem.Allocator, name: []const u8, batch: usize, top5: ?[]const struct { u32, f32 }) !void {
    const bytes = try readModel(gpa, name);
    defer gpa.free(bytes);
    var msg: model_mod.Message = .{};
    const m = model_mod.load(gpa, bytes, 1, &msg) catch |e| {
        std.debug.print("load: {s}\n", .{msg.slice()});
        return e;
    };
    defer {
        m.deinit();
        gpa.destroy(m);
    }
    const c = try Context.init(gpa, m, 128, batch);
    defer c.deinit();
    const prompt = [_]u32{ 1, 403, 407, 261, 378 };
    try c.decode(&prompt, 0);
    if (top5) |want| for (want) |pair| {
        std.testing.expectApproxEqAbs(pair[1], c.logits[pair[0]], 1e-3) catch |e| {
            std.debug.print("logit {d}: got {d} want {d}\n", .{ pair[0], c.logits[pair[0]], pair[1] });
            return e;
        };
    };
    var pos: usize = prompt.len;
    for (stories_greedy, 0..) |want, i| {
        const got = argmax(c.logits);
        std.testing.expectEqual(want, got) catch |e| {
            std.debug.print("{s}: token {d}: got {d} want {d}\n", .{ name, i, got, want });
            return e;
        };
        try c.decode(&.{got}, pos);
        pos += 1;
    }
}

test "stories260K F32: top-5 logits and 48 greedy tokens equal llama.cpp's" {
    const top5 = [_]struct { u32, f32 }{ .{ 432, 17.7989 }, .{ 383, 14.2825 }, .{ 322, 9.7098 }, .{ 353, 9.5862 }, .{ 323, 9.1355 } };
    try greedy(std.testing.allocator, "stories260K-f32.gguf", 64, &top5);
    try greedy(std.testing.allocator, "stories260K-f32.gguf", 2, &top5);
}

test "stories260K Q8_0: 48 greedy tokens equal llama.cpp's F32 run" {
    try greedy(std.testing.allocator, "stories260K-q8_0.gguf", 64, null);
}

test "a corrupt or unsupported model gives an error message" {
    const gpa = std.testing.allocator;
    const bytes = try readModel(gpa, "stories260K-f32.gguf");
    defer gpa.free(bytes);
    var msg: model_mod.Message = .{};
    try std.testing.expectError(error.Invalid, model_mod.load(gpa, bytes[0 .. bytes.len - 1], 1, &msg));
    try std.testing.expect(std.mem.indexOf(u8, msg.slice(), "past the end") != null);
    const copy = try gpa.dupe(u8, bytes);
    defer gpa.free(copy);
    const at = std.mem.indexOf(u8, copy, "llama").?;
    @memcpy(copy[at..][0..5], "mamba");
    try std.testing.expectError(error.Unsupported, model_mod.load(gpa, copy, 1, &msg));
    try std.testing.expect(std.mem.indexOf(u8, msg.slice(), "mamba") != null);
}

test "a message longer than its buffer is cut" {
    var msg: model_mod.Message = .{};
    const xs: [300]u8 = @splat('x');
    const ys: [300]u8 = @splat('y');
    msg.set("{s}{s}", .{ &xs, &ys });
    try std.testing.expectEqual(msg.buf.len, msg.slice().len);
    try std.testing.expectEqual(@as(u8, 'y'), msg.slice()[msg.buf.len - 1]);
}

test {
    _ = @import("gguf.zig");
    _ = @import("quant.zig");
    _ = @import("pool.zig");
    _ = @import("forward.zig");
}
