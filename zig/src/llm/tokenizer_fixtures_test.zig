//! Compares the tokenizer with llama.cpp on real vocabularies: the stories260K and
//! gemma-3-270m GGUF files and three small byte-level BPE vocabularies
//! (__test__/llm/fixtures/bpe-*.gguf) against __test__/llm/fixtures/tokenizer-*.json,
//! all written by scripts/llm-fixtures.py with llama-cpp-python.
//!
//! Run from the repository root (scripts/test.js does):
//!   GHOSTKIT_GEMMA_GGUF=<path from scripts/peers/gemma3.js> zig test zig/src/llm/tokenizer_fixtures_test.zig
//! A missing model or fixture fails the test; nothing is skipped.

const std = @import("std");
const gguf = @import("gguf.zig");
const tokenizer = @import("tokenizer.zig");
const tokenizer_gguf = @import("tokenizer_gguf.zig");

const testing = std.testing;
const fixtures_dir = "__test__/llm/fixtures";

fn readFile(gpa: std.mem.Allocator, path: []const u8) ![]u8 {
    return std.Io.Dir.cwd().readFileAlloc(testing.io, path, gpa, .limited(1 << 30)) catch |e| {
        std.debug.print("cannot read {s}: {t}\n", .{ path, e });
        return e;
    };
}

fn hexAlloc(gpa: std.mem.Allocator, hex: []const u8) ![]u8 {
    const out = try gpa.alloc(u8, hex.len / 2);
    _ = try std.fmt.hexToBytes(out, hex);
    return out;
}

fn idsOf(gpa: std.mem.Allocator, v: std.json.Value) ![]u32 {
    const arr = v.array.items;
    const out = try gpa.alloc(u32, arr.len);
    for (arr, out) |x, *o| o.* = @intCast(x.integer);
    return out;
}

fn checkVocabulary(model_path: []const u8, fixture_name: []const u8) !void {
    const gpa = testing.allocator;
    const bytes = try readFile(gpa, model_path);
    defer gpa.free(bytes);
    var diag: gguf.Diag = .{};
    var file = try gguf.parse(gpa, bytes, &diag);
    defer file.deinit(gpa);
    var tok = try tokenizer_gguf.tokenizerFromGguf(gpa, &file);
    defer tok.deinit();

    const fx_path = try std.fs.path.join(gpa, &.{ fixtures_dir, fixture_name });
    defer gpa.free(fx_path);
    const fx_bytes = try readFile(gpa, fx_path);
    defer gpa.free(fx_bytes);
    const parsed = try std.json.parseFromSlice(std.json.Value, gpa, fx_bytes, .{});
    defer parsed.deinit();
    const root = parsed.value.object;

    var failures: usize = 0;
    var checked: usize = 0;
    for (root.get("cases").?.array.items) |case| {
        const input = try hexAlloc(gpa, case.object.get("hex").?.string);
        defer gpa.free(input);
        var it = case.object.get("ids").?.object.iterator();
        while (it.next()) |entry| {
            const add_special = std.mem.indexOf(u8, entry.key_ptr.*, "add_special=true") != null;
            const parse_special = std.mem.indexOf(u8, entry.key_ptr.*, "parse_special=true") != null;
            const want = try idsOf(gpa, entry.value_ptr.*);
            defer gpa.free(want);
            const got = try tok.encode(gpa, input, add_special, parse_special);
            defer gpa.free(got);
            checked += 1;
            if (!std.mem.eql(u32, want, got)) {
                failures += 1;
                std.debug.print("{s}: encode({q}, {s}):\n  llama.cpp {any}\n  ours      {any}\n", .{ fixture_name, input, entry.key_ptr.*, want, got });
            }
        }
        // detokenisation of the add_special+parse_special ids, special on and off
        const ids = try idsOf(gpa, case.object.get("ids").?.object.get("add_special=true,parse_special=true").?);
        defer gpa.free(ids);
        for ([_]struct { []const u8, bool }{ .{ "detok_hex", true }, .{ "detok_plain_hex", false } }) |d| {
            const want = try hexAlloc(gpa, case.object.get(d[0]).?.string);
            defer gpa.free(want);
            const got = try tok.decode(gpa, ids, .{ .remove_special = false, .unparse_special = d[1] });
            defer gpa.free(got);
            checked += 1;
            if (!std.mem.eql(u8, want, got)) {
                failures += 1;
                std.debug.print("{s}: decode {any} special={}:\n  llama.cpp {q}\n  ours      {q}\n", .{ fixture_name, ids, d[1], want, got });
            }
        }
    }
    var pit = root.get("pieces").?.object.iterator();
    while (pit.next()) |entry| {
        const id = try std.fmt.parseInt(u32, entry.key_ptr.*, 10);
        for ([_]struct { []const u8, bool }{ .{ "special", true }, .{ "plain", false } }) |d| {
            const want = try hexAlloc(gpa, entry.value_ptr.object.get(d[0]).?.string);
            defer gpa.free(want);
            const got = try tok.decode(gpa, &.{id}, .{ .unparse_special = d[1] });
            defer gpa.free(got);
            checked += 1;
            if (!std.mem.eql(u8, want, got)) {
                failures += 1;
                std.debug.print("{s}: piece {d} special={}: llama.cpp {q} ours {q}\n", .{ fixture_name, id, d[1], want, got });
            }
        }
    }
    try testing.expect(checked > 100);
    try testing.expectEqual(@as(usize, 0), failures);
}

test "stories260K vocabulary matches llama.cpp" {
    try checkVocabulary("../shared/models/stories260K-f32.gguf", "tokenizer-stories260K.json");
}

test "byte-level BPE vocabularies (llama3, gpt-2, qwen2 pre-tokenizers) match llama.cpp" {
    try checkVocabulary(fixtures_dir ++ "/bpe-llama3.gguf", "tokenizer-bpe-llama3.json");
    try checkVocabulary(fixtures_dir ++ "/bpe-gpt-2.gguf", "tokenizer-bpe-gpt-2.json");
    try checkVocabulary(fixtures_dir ++ "/bpe-qwen2.gguf", "tokenizer-bpe-qwen2.json");
}

test "gemma-3-270m vocabulary matches llama.cpp" {
    const path = testing.environ.getPosix("GHOSTKIT_GEMMA_GGUF") orelse {
        std.debug.print("GHOSTKIT_GEMMA_GGUF is not set: run through scripts/test.js, which installs the model\n", .{});
        return error.GemmaModelMissing;
    };
    try checkVocabulary(path, "tokenizer-gemma3.json");
}

test "prompt ids of the generation fixtures" {
    const gpa = testing.allocator;
    const bytes = try readFile(gpa, "../shared/models/stories260K-f32.gguf");
    defer gpa.free(bytes);
    var diag: gguf.Diag = .{};
    var file = try gguf.parse(gpa, bytes, &diag);
    defer file.deinit(gpa);
    var tok = try tokenizer_gguf.tokenizerFromGguf(gpa, &file);
    defer tok.deinit();
    const fx = try readFile(gpa, fixtures_dir ++ "/stories260K-f32.json");
    defer gpa.free(fx);
    const parsed = try std.json.parseFromSlice(std.json.Value, gpa, fx, .{});
    defer parsed.deinit();
    const want = try idsOf(gpa, parsed.value.object.get("prompt_ids").?);
    defer gpa.free(want);
    const got = try tok.encode(gpa, parsed.value.object.get("prompt").?.string, true, false);
    defer gpa.free(got);
    try testing.expectEqualSlices(u32, want, got);
    // the greedy continuation decodes to the recorded text
    const gen = try idsOf(gpa, parsed.value.object.get("greedy_ids").?);
    defer gpa.free(gen);
    const text = try tok.decode(gpa, gen, .{ .unparse_special = false });
    defer gpa.free(text);
    const want_text = try hexAlloc(gpa, parsed.value.object.get("greedy_text_hex").?.string);
    defer gpa.free(want_text);
    try testing.expectEqualStrings(want_text, text);
}
