//! Model weights and hyper-parameters from GGUF metadata (architectures `llama` and
//! `gemma3`), checked shape by shape when the model is opened.

const std = @import("std");
const gguf = @import("gguf.zig");
const quant = @import("quant.zig");
const Pool = @import("pool.zig").Pool;

pub const Arch = enum { llama, gemma3 };

/// A fixed-size message buffer so every failure can say what is wrong.
pub const Message = struct {
    buf: [320]u8 = undefined,
    len: usize = 0,

    /// Formats into the buffer; a message too long for it is cut, never garbage.
    pub fn set(m: *Message, comptime fmt: []const u8, args: anytype) void {
        var w: std.Io.Writer = .fixed(&m.buf);
        w.print(fmt, args) catch {};
        m.len = w.end;
    }
    pub fn slice(m: *const Message) []const u8 {
        return m.buf[0..m.len];
    }
};

pub const Error = error{ Invalid, Unsupported, OutOfMemory };

pub const HParams = struct {
    n_vocab: usize,
    n_embd: usize,
    n_layer: usize,
    n_head: usize,
    n_head_kv: usize,
    head_dim: usize,
    n_ff: usize,
    n_ctx_train: usize,
    rope_dim: usize,
    rope_base: f32,
    rope_base_local: f32,
    rope_freq_scale: f32,
    rope_neox: bool,
    eps: f32,
    /// 0: no sliding-window layers.
    sliding_window: usize,
    /// Every `swa_pattern`-th layer is global (gemma3: 6).
    swa_pattern: usize,
    /// Multiplies queries before attention (gemma3); llama uses 1/sqrt(head_dim) on scores.
    q_scale: f32,
    kq_scale: f32,
    embed_scale: f32,

    pub fn qDim(h: HParams) usize {
        return h.n_head * h.head_dim;
    }
    pub fn kvDim(h: HParams) usize {
        return h.n_head_kv * h.head_dim;
    }
    pub fn isSlidingLayer(h: HParams, layer: usize) bool {
        return h.sliding_window > 0 and (layer % h.swa_pattern) < h.swa_pattern - 1;
    }
};

pub const Weight = struct {
    type: gguf.TensorType,
    data: []const u8,
    cols: usize,
    rows: usize,
    row_bytes: usize,

    pub fn row(w: *const Weight, r: usize) []const u8 {
        return w.data[r * w.row_bytes ..][0..w.row_bytes];
    }
};

pub const Layer = struct {
    attn_norm: []f32,
    wq: Weight,
    wk: Weight,
    wv: Weight,
    wo: Weight,
    q_norm: ?[]f32 = null,
    k_norm: ?[]f32 = null,
    post_attn_norm: ?[]f32 = null,
    ffn_norm: []f32,
    gate: Weight,
    up: Weight,
    down: Weight,
    post_ffn_norm: ?[]f32 = null,
};

pub const Model = struct {
    gpa: std.mem.Allocator,
    file: gguf.File,
    arch: Arch,
    hp: HParams,
    tok_embd: Weight,
    output: Weight,
    output_norm: []f32,
    layers: []Layer,
    /// Norm weights, converted to f32 at load (they are tiny).
    norms: std.ArrayList(f32),
    pool: Pool,
    /// gemma3: GELU of every F16 input as F16 bits (`forward.fillGeluTable`), as ggml
    /// tabulates it; empty for other architectures.
    gelu: []u16 = &.{},

    pub fn deinit(m: *Model) void {
        m.gpa.free(m.gelu);
        m.gpa.free(m.layers);
        m.norms.deinit(m.gpa);
        m.file.deinit(m.gpa);
    }

    /// Bytes of weights read for one decoded token (for effective bandwidth reports).
    pub fn weightBytes(m: *const Model) usize {
        var total: usize = m.output.data.len;
        for (m.layers) |l| {
            for ([_]Weight{ l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down }) |w| total += w.data.len;
        }
        return total;
    }
};

const Loader = struct {
    gpa: std.mem.Allocator,
    file: *const gguf.File,
    msg: *Message,
    arch_name: []const u8,
    norms: *std.ArrayList(f32),

    fn key(l: *Loader, comptime suffix: []const u8, buf: []u8) []const u8 {
        return std.fmt.bufPrint(buf, "{s}." ++ suffix, .{l.arch_name}) catch unreachable;
    }

    fn uint(l: *Loader, comptime suffix: []const u8, default: ?u64) Error!u64 {
        var buf: [128]u8 = undefined;
        const k = l.key(suffix, &buf);
        const v = l.file.find(k) orelse {
            if (default) |d| return d;
            l.msg.set("missing metadata key {s}", .{k});
            return error.Invalid;
        };
        const n: u64 = switch (v) {
            .uint => |u| u,
            .int => |i| if (i >= 0) @intCast(i) else {
                l.msg.set("metadata {s} is negative", .{k});
                return error.Invalid;
            },
            else => {
                l.msg.set("metadata {s} is not an integer", .{k});
                return error.Invalid;
            },
        };
        if (n > 1 << 24) {
            l.msg.set("metadata {s} = {d} is out of range", .{ k, n });
            return error.Invalid;
        }
        return n;
    }

    fn float(l: *Loader, comptime suffix: []const u8, default: f32) Error!f32 {
        var buf: [128]u8 = undefined;
        const k = l.key(suffix, &buf);
        const v = l.file.find(k) orelse return default;
        return switch (v) {
            .float => |f| @floatCast(f),
            .uint => |u| @floatFromInt(u),
            .int => |i| @floatFromInt(i),
            else => {
                l.msg.set("metadata {s} is not a number", .{k});
                return error.Invalid;
            },
        };
    }

    fn tensor(l: *Loader, name: []const u8, cols: usize, rows: usize) Error!Weight {
        const t = l.file.tensor(name) orelse {
            l.msg.set("missing tensor {s}", .{name});
            return error.Invalid;
        };
        if (t.ne[0] != cols or t.rows() != rows or t.ne[2] != 1 or t.ne[3] != 1) {
            l.msg.set("tensor {s} has shape [{d}, {d}], expected [{d}, {d}]", .{ name, t.ne[0], t.rows(), cols, rows });
            return error.Invalid;
        }
        return .{ .type = t.type, .data = t.data, .cols = cols, .rows = rows, .row_bytes = quant.rowBytes(t.type, cols) };
    }

    fn layerTensor(l: *Loader, layer: usize, comptime suffix: []const u8, cols: usize, rows: usize) Error!Weight {
        var buf: [96]u8 = undefined;
        const name = std.fmt.bufPrint(&buf, "blk.{d}." ++ suffix ++ ".weight", .{layer}) catch unreachable;
        return l.tensor(name, cols, rows);
    }

    /// Norm weights are stored as offsets first (the list may move while it grows).
    fn norm(l: *Loader, name: []const u8, n: usize) Error!usize {
        const w = try l.tensor(name, n, 1);
        const start = l.norms.items.len;
        const dst = try l.norms.addManyAsSlice(l.gpa, n);
        quant.dequantizeRow(w.type, w.data, dst);
        return start;
    }

    fn layerNorm(l: *Loader, layer: usize, comptime suffix: []const u8, n: usize) Error!usize {
        var buf: [96]u8 = undefined;
        const name = std.fmt.bufPrint(&buf, "blk.{d}." ++ suffix ++ ".weight", .{layer}) catch unreachable;
        return l.norm(name, n);
    }
};

fn readHParams(l: *Loader, arch: Arch) Error!HParams {
    const n_embd = try l.uint("embedding_length", null);
    const n_head = try l.uint("attention.head_count", null);
    if (n_embd == 0 or n_head == 0) {
        l.msg.set("embedding_length and attention.head_count must be positive", .{});
        return error.Invalid;
    }
    const n_head_kv = try l.uint("attention.head_count_kv", n_head);
    const head_dim = try l.uint("attention.key_length", n_embd / n_head);
    const value_dim = try l.uint("attention.value_length", head_dim);
    const n_layer = try l.uint("block_count", null);
    if (n_head_kv == 0 or n_head % n_head_kv != 0 or head_dim == 0 or head_dim % 2 != 0 or value_dim != head_dim or n_layer == 0 or n_layer > 4096) {
        l.msg.set("unsupported attention shape (heads {d}, kv heads {d}, head size {d}/{d}, layers {d})", .{ n_head, n_head_kv, head_dim, value_dim, n_layer });
        return error.Unsupported;
    }
    const rope_dim = try l.uint("rope.dimension_count", head_dim);
    if (rope_dim > head_dim or rope_dim % 2 != 0) {
        l.msg.set("rope.dimension_count {d} does not fit head size {d}", .{ rope_dim, head_dim });
        return error.Invalid;
    }
    const tokens = l.file.find("tokenizer.ggml.tokens") orelse {
        l.msg.set("missing metadata key tokenizer.ggml.tokens", .{});
        return error.Invalid;
    };
    if (tokens != .array or tokens.array.elem != .string or tokens.array.len == 0) {
        l.msg.set("tokenizer.ggml.tokens is not a list of strings", .{});
        return error.Invalid;
    }
    var scale_factor: f32 = 1;
    var scaling_buf: [128]u8 = undefined;
    if (l.file.find(l.key("rope.scaling.type", &scaling_buf))) |v| {
        if (v == .string and std.mem.eql(u8, v.string, "linear")) {
            scale_factor = try l.float("rope.scaling.factor", 1);
        } else if (!(v == .string and std.mem.eql(u8, v.string, "none"))) {
            l.msg.set("unsupported rope scaling", .{});
            return error.Unsupported;
        }
    } else scale_factor = try l.float("rope.scaling.factor", 1);
    if (!(scale_factor > 0)) scale_factor = 1;
    var hp: HParams = .{
        .n_vocab = @intCast(tokens.array.len),
        .n_embd = @intCast(n_embd),
        .n_layer = @intCast(n_layer),
        .n_head = @intCast(n_head),
        .n_head_kv = @intCast(n_head_kv),
        .head_dim = @intCast(head_dim),
        .n_ff = @intCast(try l.uint("feed_forward_length", null)),
        .n_ctx_train = @intCast(try l.uint("context_length", 2048)),
        .rope_dim = @intCast(rope_dim),
        .rope_base = try l.float("rope.freq_base", 10000),
        .rope_base_local = 10000,
        .rope_freq_scale = 1 / scale_factor,
        .rope_neox = false,
        .eps = try l.float("attention.layer_norm_rms_epsilon", 1e-5),
        .sliding_window = 0,
        .swa_pattern = 1,
        .q_scale = 1,
        .kq_scale = 1 / @sqrt(@as(f32, @floatFromInt(head_dim))),
        .embed_scale = 1,
    };
    if (arch == .gemma3) {
        hp.rope_neox = true;
        hp.sliding_window = @intCast(try l.uint("attention.sliding_window", 512));
        hp.swa_pattern = @intCast(try l.uint("attention.sliding_window_pattern", 6));
        if (hp.swa_pattern == 0) hp.swa_pattern = 1;
        hp.q_scale = hp.kq_scale;
        hp.kq_scale = 1;
        hp.embed_scale = @sqrt(@as(f32, @floatFromInt(hp.n_embd)));
        hp.eps = try l.float("attention.layer_norm_rms_epsilon", 1e-6);
    }
    if (!(hp.eps > 0) or !(hp.rope_base > 0) or hp.n_ff == 0) {
        l.msg.set("invalid norm epsilon, rope base or feed-forward length", .{});
        return error.Invalid;
    }
    return hp;
}

/// Opens a model from the bytes of a GGUF file (which must outlive the model).
pub fn load(gpa: std.mem.Allocator, bytes: []const u8, threads: usize, msg: *Message) Error!*Model {
    var diag: gguf.Diag = .{};
    var file = gguf.parse(gpa, bytes, &diag) catch |e| {
        switch (e) {
            error.OutOfMemory => return error.OutOfMemory,
            error.UnsupportedTensorType => {
                msg.set("unsupported tensor type in tensor {s} (supported: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K)", .{diag.name});
                return error.Unsupported;
            },
            error.UnsupportedVersion => {
                msg.set("unsupported GGUF version (only 2 and 3 are read)", .{});
                return error.Unsupported;
            },
            else => {
                msg.set("corrupt GGUF file: {s} at byte {d}{s}{s} ({s})", .{
                    diag.what,                             diag.offset,
                    if (diag.name.len > 0) " in " else "", diag.name[0..@min(diag.name.len, 64)],
                    @errorName(e),
                });
                return error.Invalid;
            },
        }
    };
    errdefer file.deinit(gpa);
    const arch_value = file.find("general.architecture") orelse {
        msg.set("missing metadata key general.architecture", .{});
        return error.Invalid;
    };
    if (arch_value != .string) {
        msg.set("general.architecture is not a string", .{});
        return error.Invalid;
    }
    const arch_name = arch_value.string;
    const arch: Arch = if (std.mem.eql(u8, arch_name, "llama"))
        .llama
    else if (std.mem.eql(u8, arch_name, "gemma3"))
        .gemma3
    else {
        msg.set("unsupported architecture \"{s}\" (supported: llama, gemma3)", .{arch_name[0..@min(arch_name.len, 64)]});
        return error.Unsupported;
    };
    var norms: std.ArrayList(f32) = .empty;
    errdefer norms.deinit(gpa);
    var l: Loader = .{ .gpa = gpa, .file = &file, .msg = msg, .arch_name = arch_name, .norms = &norms };
    const hp = try readHParams(&l, arch);

    const m = try gpa.create(Model);
    errdefer gpa.destroy(m);
    const gelu: []u16 = if (arch == .gemma3) try gpa.alloc(u16, 1 << 16) else &.{};
    errdefer gpa.free(gelu);
    if (arch == .gemma3) @import("forward.zig").fillGeluTable(gelu[0 .. 1 << 16]);
    const layers = try gpa.alloc(Layer, hp.n_layer);
    errdefer gpa.free(layers);
    const tok_embd = try l.tensor("token_embd.weight", hp.n_embd, hp.n_vocab);
    const output = if (file.tensor("output.weight") != null) try l.tensor("output.weight", hp.n_embd, hp.n_vocab) else tok_embd;
    const out_norm = try l.norm("output_norm.weight", hp.n_embd);
    // Offsets into `norms`, turned into slices once the list stops growing.
    var offs: [][7]usize = try gpa.alloc([7]usize, hp.n_layer);
    defer gpa.free(offs);
    const none = std.math.maxInt(usize);
    for (layers, 0..) |*layer, i| {
        const q_dim = hp.qDim();
        const kv_dim = hp.kvDim();
        layer.* = .{
            .attn_norm = &.{},
            .wq = try l.layerTensor(i, "attn_q", hp.n_embd, q_dim),
            .wk = try l.layerTensor(i, "attn_k", hp.n_embd, kv_dim),
            .wv = try l.layerTensor(i, "attn_v", hp.n_embd, kv_dim),
            .wo = try l.layerTensor(i, "attn_output", q_dim, hp.n_embd),
            .ffn_norm = &.{},
            .gate = try l.layerTensor(i, "ffn_gate", hp.n_embd, hp.n_ff),
            .up = try l.layerTensor(i, "ffn_up", hp.n_embd, hp.n_ff),
            .down = try l.layerTensor(i, "ffn_down", hp.n_ff, hp.n_embd),
        };
        offs[i] = .{ try l.layerNorm(i, "attn_norm", hp.n_embd), try l.layerNorm(i, "ffn_norm", hp.n_embd), none, none, none, none, 0 };
        if (arch == .gemma3) {
            offs[i][2] = try l.layerNorm(i, "attn_q_norm", hp.head_dim);
            offs[i][3] = try l.layerNorm(i, "attn_k_norm", hp.head_dim);
            offs[i][4] = try l.layerNorm(i, "post_attention_norm", hp.n_embd);
            offs[i][5] = try l.layerNorm(i, "post_ffw_norm", hp.n_embd);
        }
    }
    const all = norms.items;
    for (layers, offs) |*layer, o| {
        layer.attn_norm = all[o[0]..][0..hp.n_embd];
        layer.ffn_norm = all[o[1]..][0..hp.n_embd];
        if (o[2] != none) layer.q_norm = all[o[2]..][0..hp.head_dim];
        if (o[3] != none) layer.k_norm = all[o[3]..][0..hp.head_dim];
        if (o[4] != none) layer.post_attn_norm = all[o[4]..][0..hp.n_embd];
        if (o[5] != none) layer.post_ffn_norm = all[o[5]..][0..hp.n_embd];
    }
    m.* = .{
        .gpa = gpa,
        .file = file,
        .arch = arch,
        .hp = hp,
        .tok_embd = tok_embd,
        .output = output,
        .output_norm = all[out_norm..][0..hp.n_embd],
        .layers = layers,
        .norms = norms,
        .pool = Pool.init(threads),
        .gelu = gelu,
    };
    return m;
}
