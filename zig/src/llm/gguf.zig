//! GGUF v3 reader over a byte slice (the caller maps the file). Every count, length,
//! offset and type is checked against the slice before it is used, so a corrupt or
//! truncated file gives an error naming what is wrong, never an out-of-bounds read.

const std = @import("std");
const quant = @import("quant.zig");

pub const Error = error{
    Truncated,
    BadMagic,
    UnsupportedVersion,
    BadValueType,
    TooLarge,
    BadTensor,
    UnsupportedTensorType,
    DuplicateKey,
    OutOfMemory,
};

/// The ggml tensor types a GGUF file may carry (only some are supported by the engine).
pub const TensorType = enum(u32) {
    f32 = 0,
    f16 = 1,
    q4_0 = 2,
    q4_1 = 3,
    q5_0 = 6,
    q5_1 = 7,
    q8_0 = 8,
    q8_1 = 9,
    q2_k = 10,
    q3_k = 11,
    q4_k = 12,
    q5_k = 13,
    q6_k = 14,
    q8_k = 15,
    bf16 = 30,
    _,

    /// Elements per block and bytes per block, or null when the engine has no kernel.
    pub fn layout(t: TensorType) ?struct { block: u64, bytes: u64 } {
        return switch (t) {
            .f32 => .{ .block = 1, .bytes = 4 },
            .f16, .bf16 => .{ .block = 1, .bytes = 2 },
            .q8_0 => .{ .block = 32, .bytes = @sizeOf(quant.BlockQ8_0) },
            .q4_0 => .{ .block = 32, .bytes = @sizeOf(quant.BlockQ4_0) },
            .q5_0 => .{ .block = 32, .bytes = @sizeOf(quant.BlockQ5_0) },
            .q4_k => .{ .block = 256, .bytes = @sizeOf(quant.BlockQ4K) },
            .q6_k => .{ .block = 256, .bytes = @sizeOf(quant.BlockQ6K) },
            else => null,
        };
    }
};

pub const ValueType = enum(u32) {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    bool = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
    _,

    fn scalarSize(t: ValueType) ?u64 {
        return switch (t) {
            .u8, .i8, .bool => 1,
            .u16, .i16 => 2,
            .u32, .i32, .f32 => 4,
            .u64, .i64, .f64 => 8,
            else => null,
        };
    }
};

/// A metadata value; arrays and strings point into the file bytes.
pub const Value = union(enum) {
    int: i64,
    uint: u64,
    float: f64,
    boolean: bool,
    string: []const u8,
    array: Array,
};

/// An array value, decoded lazily (elements are validated to lie inside the file).
pub const Array = struct {
    elem: ValueType,
    len: u64,
    /// Scalar arrays: the raw little-endian elements. String arrays: the encoded strings.
    bytes: []const u8,

    pub fn stringIterator(a: Array) StringIterator {
        return .{ .rest = a.bytes, .left = a.len };
    }
};

pub const StringIterator = struct {
    rest: []const u8,
    left: u64,

    /// Strings were validated when the file was opened, so this cannot fail.
    pub fn next(it: *StringIterator) ?[]const u8 {
        if (it.left == 0) return null;
        it.left -= 1;
        const n: usize = @intCast(std.mem.readInt(u64, it.rest[0..8], .little));
        const s = it.rest[8 .. 8 + n];
        it.rest = it.rest[8 + n ..];
        return s;
    }
};

pub const KeyValue = struct { key: []const u8, value: Value };

pub const max_dims = 4;

pub const Tensor = struct {
    name: []const u8,
    type: TensorType,
    /// ne[0] is the row length (contiguous), as in ggml.
    ne: [max_dims]u64,
    n_dims: u32,
    data: []const u8,

    pub fn elements(t: Tensor) u64 {
        return t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
    }
    pub fn rows(t: Tensor) u64 {
        return t.ne[1] * t.ne[2] * t.ne[3];
    }
};

/// Limits that keep a hostile header from asking for absurd allocations.
const max_kv_count = 1 << 20;
const max_tensor_count = 1 << 20;
const max_string_bytes = 1 << 24;

pub const File = struct {
    version: u32,
    kvs: []KeyValue,
    tensors: []Tensor,
    alignment: u64,
    data_offset: u64,

    pub fn deinit(f: *File, gpa: std.mem.Allocator) void {
        gpa.free(f.kvs);
        gpa.free(f.tensors);
        f.* = undefined;
    }

    pub fn find(f: *const File, key: []const u8) ?Value {
        for (f.kvs) |kv| if (std.mem.eql(u8, kv.key, key)) return kv.value;
        return null;
    }

    pub fn tensor(f: *const File, name: []const u8) ?*const Tensor {
        for (f.tensors) |*t| if (std.mem.eql(u8, t.name, name)) return t;
        return null;
    }
};

/// Where parsing stopped, for error messages.
pub const Diag = struct {
    offset: u64 = 0,
    what: []const u8 = "",
    name: []const u8 = "",
};

const Reader = struct {
    bytes: []const u8,
    pos: u64 = 0,
    diag: *Diag,

    fn need(r: *Reader, n: u64, what: []const u8) Error!void {
        r.diag.offset = r.pos;
        r.diag.what = what;
        if (n > r.bytes.len - r.pos) return error.Truncated;
    }
    fn take(r: *Reader, n: u64, what: []const u8) Error![]const u8 {
        try r.need(n, what);
        const s = r.bytes[@intCast(r.pos)..@intCast(r.pos + n)];
        r.pos += n;
        return s;
    }
    fn int(r: *Reader, comptime T: type, what: []const u8) Error!T {
        const s = try r.take(@sizeOf(T), what);
        return std.mem.readInt(T, s[0..@sizeOf(T)], .little);
    }
    fn string(r: *Reader, what: []const u8) Error![]const u8 {
        const n = try r.int(u64, what);
        if (n > max_string_bytes) {
            r.diag.what = what;
            return error.TooLarge;
        }
        return r.take(n, what);
    }
};

fn readValue(r: *Reader, t: ValueType) Error!Value {
    switch (t) {
        .u8 => return .{ .uint = try r.int(u8, "u8 value") },
        .i8 => return .{ .int = try r.int(i8, "i8 value") },
        .u16 => return .{ .uint = try r.int(u16, "u16 value") },
        .i16 => return .{ .int = try r.int(i16, "i16 value") },
        .u32 => return .{ .uint = try r.int(u32, "u32 value") },
        .i32 => return .{ .int = try r.int(i32, "i32 value") },
        .u64 => return .{ .uint = try r.int(u64, "u64 value") },
        .i64 => return .{ .int = try r.int(i64, "i64 value") },
        .f32 => return .{ .float = @as(f32, @bitCast(try r.int(u32, "f32 value"))) },
        .f64 => return .{ .float = @as(f64, @bitCast(try r.int(u64, "f64 value"))) },
        .bool => {
            const b = try r.int(u8, "bool value");
            if (b > 1) return error.BadValueType;
            return .{ .boolean = b == 1 };
        },
        .string => return .{ .string = try r.string("string value") },
        .array => {
            const elem: ValueType = @fromBackingInt(@intCast(try r.int(u32, "array element type")));
            const len = try r.int(u64, "array length");
            const start = r.pos;
            if (elem.scalarSize()) |size| {
                if (len > (r.bytes.len - r.pos) / size) {
                    r.diag.what = "array elements";
                    return error.Truncated;
                }
                _ = try r.take(len * size, "array elements");
            } else if (elem == .string) {
                if (len > (r.bytes.len - r.pos) / 8) {
                    r.diag.what = "string array";
                    return error.Truncated;
                }
                var i: u64 = 0;
                while (i < len) : (i += 1) _ = try r.string("string array element");
            } else {
                r.diag.what = "array element type (nested arrays are not supported)";
                return error.BadValueType;
            }
            return .{ .array = .{ .elem = elem, .len = len, .bytes = r.bytes[@intCast(start)..@intCast(r.pos)] } };
        },
        _ => {
            r.diag.what = "metadata value type";
            return error.BadValueType;
        },
    }
}

/// Parses and validates a whole GGUF file held in `bytes`. The result points into `bytes`.
pub fn parse(gpa: std.mem.Allocator, bytes: []const u8, diag: *Diag) Error!File {
    var r: Reader = .{ .bytes = bytes, .diag = diag };
    const magic = try r.take(4, "magic");
    if (!std.mem.eql(u8, magic, "GGUF")) {
        diag.what = "magic (not a GGUF file)";
        return error.BadMagic;
    }
    const version = try r.int(u32, "version");
    if (version != 3 and version != 2) {
        diag.what = "version";
        return error.UnsupportedVersion;
    }
    const n_tensors = try r.int(u64, "tensor count");
    const n_kv = try r.int(u64, "metadata count");
    if (n_tensors > max_tensor_count or n_tensors > bytes.len / 24) {
        diag.what = "tensor count";
        return error.TooLarge;
    }
    if (n_kv > max_kv_count or n_kv > bytes.len / 12) {
        diag.what = "metadata count";
        return error.TooLarge;
    }

    const kvs = try gpa.alloc(KeyValue, @intCast(n_kv));
    errdefer gpa.free(kvs);
    var alignment: u64 = 32;
    for (kvs, 0..) |*kv, i| {
        kv.key = try r.string("metadata key");
        diag.name = kv.key;
        const t: ValueType = @fromBackingInt(@intCast(try r.int(u32, "metadata value type")));
        kv.value = try readValue(&r, t);
        for (kvs[0..i]) |prev| if (std.mem.eql(u8, prev.key, kv.key)) {
            diag.what = "metadata key (duplicate)";
            return error.DuplicateKey;
        };
        if (std.mem.eql(u8, kv.key, "general.alignment")) {
            const a = switch (kv.value) {
                .uint => |u| u,
                else => 0,
            };
            if (a == 0 or a > 1 << 16 or !std.math.isPowerOfTwo(a)) {
                diag.what = "general.alignment";
                return error.BadValueType;
            }
            alignment = a;
        }
    }
    diag.name = "";

    const tensors = try gpa.alloc(Tensor, @intCast(n_tensors));
    errdefer gpa.free(tensors);
    const offsets = try gpa.alloc(u64, @intCast(n_tensors));
    defer gpa.free(offsets);
    for (tensors, offsets) |*t, *offset| {
        t.name = try r.string("tensor name");
        diag.name = t.name;
        t.n_dims = try r.int(u32, "tensor dimension count");
        if (t.n_dims == 0 or t.n_dims > max_dims) {
            diag.what = "tensor dimension count";
            return error.BadTensor;
        }
        t.ne = .{ 1, 1, 1, 1 };
        var total: u64 = 1;
        for (t.ne[0..t.n_dims]) |*ne| {
            ne.* = try r.int(u64, "tensor dimension");
            if (ne.* == 0 or ne.* > 1 << 40) {
                diag.what = "tensor dimension";
                return error.BadTensor;
            }
            total = std.math.mul(u64, total, ne.*) catch {
                diag.what = "tensor size";
                return error.TooLarge;
            };
        }
        t.type = @fromBackingInt(@intCast(try r.int(u32, "tensor type")));
        const lay = t.type.layout() orelse {
            diag.what = "tensor type";
            return error.UnsupportedTensorType;
        };
        if (t.ne[0] % lay.block != 0) {
            diag.what = "tensor row length (not a multiple of the block size)";
            return error.BadTensor;
        }
        if (total > (1 << 50)) {
            diag.what = "tensor size";
            return error.TooLarge;
        }
        offset.* = try r.int(u64, "tensor data offset");
        t.data = &.{};
        t.data.len = @intCast(total / lay.block * lay.bytes);
    }
    diag.name = "";
    const data_offset = std.mem.alignForward(u64, r.pos, alignment);
    if (data_offset > bytes.len) {
        diag.offset = r.pos;
        diag.what = "tensor data section";
        return error.Truncated;
    }
    const data = bytes[@intCast(data_offset)..];
    for (tensors, offsets) |*t, offset| {
        diag.name = t.name;
        diag.offset = data_offset + offset;
        if (offset % alignment != 0) {
            diag.what = "tensor data offset (misaligned)";
            return error.BadTensor;
        }
        if (offset > data.len or t.data.len > data.len - offset) {
            diag.what = "tensor data (past the end of the file)";
            return error.Truncated;
        }
        t.data = data[@intCast(offset)..][0..t.data.len];
    }
    diag.name = "";
    return .{
        .version = version,
        .kvs = kvs,
        .tensors = tensors,
        .alignment = alignment,
        .data_offset = data_offset,
    };
}

/// Writes a small GGUF file, for tests (the loader and fuzz tests build their inputs).
pub const TestWriter = struct {
    buf: std.ArrayList(u8) = .empty,
    gpa: std.mem.Allocator,

    pub fn int(w: *TestWriter, comptime T: type, v: T) !void {
        var b: [@sizeOf(T)]u8 = undefined;
        std.mem.writeInt(T, &b, v, .little);
        try w.buf.appendSlice(w.gpa, &b);
    }
    pub fn str(w: *TestWriter, s: []const u8) !void {
        try w.int(u64, s.len);
        try w.buf.appendSlice(w.gpa, s);
    }
    pub fn kvU32(w: *TestWriter, key: []const u8, v: u32) !void {
        try w.str(key);
        try w.int(u32, @backingInt(ValueType.u32));
        try w.int(u32, v);
    }
    pub fn kvF32(w: *TestWriter, key: []const u8, v: f32) !void {
        try w.str(key);
        try w.int(u32, @backingInt(ValueType.f32));
        try w.int(u32, @bitCast(v));
    }
    pub fn kvStr(w: *TestWriter, key: []const u8, v: []const u8) !void {
        try w.str(key);
        try w.int(u32, @backingInt(ValueType.string));
        try w.str(v);
    }
    pub fn pad(w: *TestWriter, alignment: usize) !void {
        while (w.buf.items.len % alignment != 0) try w.buf.append(w.gpa, 0);
    }
};

fn sampleFile(gpa: std.mem.Allocator) ![]u8 {
    var w: TestWriter = .{ .gpa = gpa };
    errdefer w.buf.deinit(gpa);
    try w.buf.appendSlice(gpa, "GGUF");
    try w.int(u32, 3);
    try w.int(u64, 2);
    try w.int(u64, 3);
    try w.kvStr("general.architecture", "llama");
    try w.kvU32("llama.block_count", 1);
    try w.str("tokenizer.ggml.tokens");
    try w.int(u32, @backingInt(ValueType.array));
    try w.int(u32, @backingInt(ValueType.string));
    try w.int(u64, 2);
    try w.str("a");
    try w.str("bc");
    try w.str("x");
    try w.int(u32, 2);
    try w.int(u64, 4);
    try w.int(u64, 2);
    try w.int(u32, 0);
    try w.int(u64, 0);
    try w.str("y");
    try w.int(u32, 1);
    try w.int(u64, 32);
    try w.int(u32, 8);
    try w.int(u64, 32);
    try w.pad(32);
    for (0..8) |i| try w.int(u32, @bitCast(@as(f32, @floatFromInt(i))));
    try w.int(u16, 0x3c00);
    for (0..32) |i| try w.int(i8, @intCast(i));
    return w.buf.toOwnedSlice(gpa);
}

test "parse a small file" {
    const gpa = std.testing.allocator;
    const bytes = try sampleFile(gpa);
    defer gpa.free(bytes);
    var diag: Diag = .{};
    var f = try parse(gpa, bytes, &diag);
    defer f.deinit(gpa);
    try std.testing.expectEqualStrings("llama", f.find("general.architecture").?.string);
    try std.testing.expectEqual(@as(u64, 1), f.find("llama.block_count").?.uint);
    var it = f.find("tokenizer.ggml.tokens").?.array.stringIterator();
    try std.testing.expectEqualStrings("a", it.next().?);
    try std.testing.expectEqualStrings("bc", it.next().?);
    try std.testing.expect(it.next() == null);
    const x = f.tensor("x").?;
    try std.testing.expectEqual(@as(u64, 2), x.rows());
    try std.testing.expectEqual(@as(usize, 32), x.data.len);
    try std.testing.expectEqual(@as(usize, 34), f.tensor("y").?.data.len);
}

test "every truncation and every single-byte corruption is an error or a valid parse" {
    const gpa = std.testing.allocator;
    const bytes = try sampleFile(gpa);
    defer gpa.free(bytes);
    for (0..bytes.len) |n| {
        var diag: Diag = .{};
        if (parse(gpa, bytes[0..n], &diag)) |parsed| {
            var f = parsed;
            f.deinit(gpa);
            std.debug.print("parsed a file truncated to {d} of {d} bytes\n", .{ n, bytes.len });
            return error.TestUnexpectedResult;
        } else |_| {}
    }
    const copy = try gpa.dupe(u8, bytes);
    defer gpa.free(copy);
    var prng = std.Random.DefaultPrng.init(0x6775_6666);
    const random = prng.random();
    for (0..20000) |_| {
        @memcpy(copy, bytes);
        const flips = random.intRangeAtMost(usize, 1, 4);
        for (0..flips) |_| copy[random.uintLessThan(usize, copy.len)] = random.int(u8);
        var diag: Diag = .{};
        if (parse(gpa, copy, &diag)) |parsed| {
            var f = parsed;
            for (f.tensors) |t| {
                const start = @intFromPtr(t.data.ptr) - @intFromPtr(copy.ptr);
                try std.testing.expect(start + t.data.len <= copy.len);
            }
            f.deinit(gpa);
        } else |_| {}
    }
}
