//! Builds a Tokenizer from a parsed GGUF file's `tokenizer.ggml.*` metadata.
//!
//!   var tok = try tokenizerFromGguf(gpa, &file);   // file: gguf.File (see gguf.zig)
//!   defer tok.deinit();
//!   const tmpl = chatTemplateText(&file);          // ?[]const u8, tokenizer.chat_template
//!
//! Missing optional keys take llama.cpp's defaults; wrong types or lengths are errors.

const std = @import("std");
const gguf = @import("gguf.zig");
const tokenizer = @import("tokenizer.zig");

pub const Error = tokenizer.Error || error{ MissingVocabulary, BadTokenizerMetadata };

fn uintKey(f: *const gguf.File, key: []const u8) Error!?u32 {
    const v = f.find(key) orelse return null;
    return switch (v) {
        .uint => |x| std.math.cast(u32, x) orelse error.BadTokenizerMetadata,
        .int => |x| std.math.cast(u32, x) orelse error.BadTokenizerMetadata,
        else => error.BadTokenizerMetadata,
    };
}

fn boolKey(f: *const gguf.File, key: []const u8) Error!?bool {
    const v = f.find(key) orelse return null;
    return switch (v) {
        .boolean => |b| b,
        else => error.BadTokenizerMetadata,
    };
}

fn stringKey(f: *const gguf.File, key: []const u8) Error!?[]const u8 {
    const v = f.find(key) orelse return null;
    return switch (v) {
        .string => |s| s,
        else => error.BadTokenizerMetadata,
    };
}

fn arrayKey(f: *const gguf.File, key: []const u8, elem: gguf.ValueType) Error!?gguf.Array {
    const v = f.find(key) orelse return null;
    return switch (v) {
        .array => |a| if (a.elem == elem) a else error.BadTokenizerMetadata,
        else => error.BadTokenizerMetadata,
    };
}

pub fn chatTemplateText(f: *const gguf.File) ?[]const u8 {
    return stringKey(f, "tokenizer.chat_template") catch null;
}

/// The tokenizer described by `f` (the token strings are copied; `f` may go away).
pub fn tokenizerFromGguf(gpa: std.mem.Allocator, f: *const gguf.File) Error!tokenizer.Tokenizer {
    const model = (try stringKey(f, "tokenizer.ggml.model")) orelse return error.MissingVocabulary;
    const kind: tokenizer.Kind = if (std.mem.eql(u8, model, "llama"))
        .llama
    else if (std.mem.eql(u8, model, "gpt2"))
        .gpt2
    else
        return error.UnsupportedTokenizer;

    const tok_arr = (try arrayKey(f, "tokenizer.ggml.tokens", .string)) orelse return error.MissingVocabulary;
    const n: usize = std.math.cast(usize, tok_arr.len) orelse return error.BadTokenizerMetadata;
    const tokens = try gpa.alloc([]const u8, n);
    defer gpa.free(tokens);
    var it = tok_arr.stringIterator();
    for (tokens) |*t| t.* = it.next() orelse return error.BadTokenizerMetadata;

    var scores: ?[]f32 = null;
    defer if (scores) |s| gpa.free(s);
    if (try arrayKey(f, "tokenizer.ggml.scores", .f32)) |a| {
        if (a.len != n) return error.BadTokenizerMetadata;
        const s = try gpa.alloc(f32, n);
        for (s, 0..) |*x, i| x.* = @bitCast(std.mem.readInt(u32, a.bytes[i * 4 ..][0..4], .little));
        scores = s;
    }
    var types: ?[]i32 = null;
    defer if (types) |t| gpa.free(t);
    if (try arrayKey(f, "tokenizer.ggml.token_type", .i32)) |a| {
        if (a.len != n) return error.BadTokenizerMetadata;
        const t = try gpa.alloc(i32, n);
        for (t, 0..) |*x, i| x.* = std.mem.readInt(i32, a.bytes[i * 4 ..][0..4], .little);
        types = t;
    }
    var merges: ?[][]const u8 = null;
    defer if (merges) |m| gpa.free(m);
    if (try arrayKey(f, "tokenizer.ggml.merges", .string)) |a| {
        const m = try gpa.alloc([]const u8, std.math.cast(usize, a.len) orelse return error.BadTokenizerMetadata);
        var mi = a.stringIterator();
        for (m) |*x| x.* = mi.next() orelse return error.BadTokenizerMetadata;
        merges = m;
    }

    return tokenizer.Tokenizer.init(gpa, .{
        .kind = kind,
        .tokens = tokens,
        .scores = scores,
        .types = types,
        .merges = merges,
        .pre = try stringKey(f, "tokenizer.ggml.pre"),
        .bos = try uintKey(f, "tokenizer.ggml.bos_token_id"),
        .eos = try uintKey(f, "tokenizer.ggml.eos_token_id"),
        .eot = try uintKey(f, "tokenizer.ggml.eot_token_id"),
        .unk = try uintKey(f, "tokenizer.ggml.unknown_token_id"),
        .pad = try uintKey(f, "tokenizer.ggml.padding_token_id"),
        .add_bos = try boolKey(f, "tokenizer.ggml.add_bos_token"),
        .add_eos = try boolKey(f, "tokenizer.ggml.add_eos_token"),
        .add_space_prefix = try boolKey(f, "tokenizer.ggml.add_space_prefix"),
    });
}
