//! Text <-> token ids, matching llama.cpp's tokenizer on the same vocabulary.
//!
//! API (everything the engine needs; no GGUF dependency, init takes plain slices):
//!
//!   var tok = try Tokenizer.init(gpa, .{
//!       .kind = .llama,                 // SentencePiece with byte fallback ("llama" in GGUF)
//!       .tokens = token_strings,        // []const []const u8, copied
//!       .scores = scores,               // ?[]const f32 (merge priority; missing = 0)
//!       .types = token_types,           // ?[]const i32 (TokenType values; missing = normal)
//!       .bos = 1, .eos = 2, .unk = 0,   // ?u32 each (also .eot, .pad)
//!       .add_bos = true, .add_eos = false,
//!       .add_space_prefix = null,       // null = the kind's default (true for llama)
//!   });
//!   defer tok.deinit();
//!   const ids = try tok.encode(gpa, text, add_special, parse_special); // caller frees
//!   const piece = tok.piece(id, special);   // bytes of one token ("" for control when !special)
//!   const text = try tok.decode(gpa, ids, .{ .remove_special = false, .unparse_special = true });
//!   tok.isEog(id)                            // end of generation (eos, eot, <end_of_turn>, ...)
//!
//!   var sd: StreamDecoder = .{};             // streaming: never emits half a UTF-8 character
//!   try sd.push(gpa, &out, tok.piece(id, false)); ... try sd.finish(gpa, &out);
//!
//! `encode` follows llama.cpp: special tokens (control, user-defined, unknown) are split
//! out of the text first, longest first — user-defined ones always, control/unknown ones
//! only when `parse_special` — then every remaining fragment is tokenised on its own.
//! `kind = .gpt2` is byte-level BPE (merges by rank) with the pre-tokenizers llama.cpp
//! runs natively for `tokenizer.ggml.pre` = llama3 (llama-bpe, llama-v3, falcon3, ...),
//! gpt-2 (phi-2, ...) and qwen2 (deepseek-r1-qwen); other `pre` values (including
//! "default", which llama.cpp runs through std::regex) give error.UnsupportedTokenizer.

const std = @import("std");
const Allocator = std.mem.Allocator;
const unicode = @import("unicode_tables.zig");

/// The BPE pre-tokenizers (how text is split into words before merging).
pub const Pre = enum { llama3, gpt2, qwen2 };

pub const Kind = enum { llama, gpt2 };

/// GGUF `tokenizer.ggml.token_type` values.
pub const TokenType = enum(i32) {
    undefined = 0,
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6,
    _,
};

/// Attribute bits derived from the token type, as llama.cpp keeps them.
pub const Attr = packed struct(u8) {
    normal: bool = false,
    unknown: bool = false,
    control: bool = false,
    user_defined: bool = false,
    unused: bool = false,
    byte: bool = false,
    _pad: u2 = 0,

    fn special(a: Attr) bool {
        return a.control or a.unknown or a.user_defined;
    }
};

pub const Config = struct {
    kind: Kind = .llama,
    tokens: []const []const u8,
    scores: ?[]const f32 = null,
    types: ?[]const i32 = null,
    /// GGUF `tokenizer.ggml.merges` ("a b" per entry); only used by gpt2.
    merges: ?[]const []const u8 = null,
    /// GGUF `tokenizer.ggml.pre`; only used by gpt2.
    pre: ?[]const u8 = null,
    bos: ?u32 = null,
    eos: ?u32 = null,
    eot: ?u32 = null,
    unk: ?u32 = null,
    pad: ?u32 = null,
    add_bos: ?bool = null,
    add_eos: ?bool = null,
    add_space_prefix: ?bool = null,
    /// Undo tokenizer spaces when decoding (" ." -> "."); null = the kind's default.
    clean_spaces: ?bool = null,
};

pub const Error = error{
    OutOfMemory,
    UnsupportedTokenizer,
    EmptyVocabulary,
    BadTokenId,
    LengthMismatch,
    /// A byte had no `<0xXX>` token, no single-byte token and the vocabulary has no unk.
    NoByteToken,
    /// A gpt2 vocabulary without `tokenizer.ggml.merges`, or a malformed merge.
    BadMerges,
};

/// Pushes `item` onto the binary heap `heap`, whose first element is the one `before`
/// orders first (the bigram queues of both tokenizers).
fn heapPush(
    comptime T: type,
    comptime before: fn (T, T) bool,
    gpa: std.mem.Allocator,
    heap: *std.ArrayList(T),
    item: T,
) Error!void {
    try heap.append(gpa, item);
    const h = heap.items;
    var i = h.len - 1;
    while (i > 0) {
        const p = (i - 1) / 2;
        if (!before(h[i], h[p])) break;
        std.mem.swap(T, &h[i], &h[p]);
        i = p;
    }
}

/// Removes and returns the first element of a non-empty heap built by `heapPush`.
fn heapPop(comptime T: type, comptime before: fn (T, T) bool, heap: *std.ArrayList(T)) T {
    const h = heap.items;
    const top = h[0];
    h[0] = h[h.len - 1];
    heap.items.len -= 1;
    const m = heap.items;
    var i: usize = 0;
    while (true) {
        const l = 2 * i + 1;
        if (l >= m.len) break;
        var c = l;
        if (l + 1 < m.len and before(m[l + 1], m[l])) c = l + 1;
        if (!before(m[c], m[i])) break;
        std.mem.swap(T, &m[c], &m[i]);
        i = c;
    }
    return top;
}

pub const DecodeOptions = struct {
    /// Drop a leading BOS (and a trailing EOS) when the vocabulary adds them.
    remove_special: bool = false,
    /// Render control/unknown tokens as their text (else they render as nothing).
    unparse_special: bool = true,
};

pub const Tokenizer = struct {
    arena: std.heap.ArenaAllocator,
    kind: Kind,
    texts: []const []const u8,
    scores: []const f32,
    attrs: []const Attr,
    /// Rendered pieces (special = true), as llama.cpp's token-to-piece cache.
    pieces: []const []const u8,
    map: std.StringHashMapUnmanaged(u32),
    /// Control, user-defined and unknown tokens, longest text first.
    specials: []const u32,
    /// first_byte[b]: some special token starts with byte b.
    special_first: [256]bool,
    /// The texts of the special tokens, and their distinct lengths (ascending), to find
    /// which of them occur in a text in one pass.
    special_set: std.StringHashMapUnmanaged(void),
    special_lengths: []const usize,
    bos: ?u32,
    eos: ?u32,
    eot: ?u32,
    unk: ?u32,
    pad: ?u32,
    add_bos: bool,
    add_eos: bool,
    add_space_prefix: bool,
    byte_tokens: [256]?u32,
    /// gpt2: "left right" -> merge rank.
    ranks: std.StringHashMapUnmanaged(u32),
    pre: Pre,
    ignore_merges: bool,
    clean_spaces: bool,

    pub fn init(gpa: Allocator, cfg: Config) Error!Tokenizer {
        const n = cfg.tokens.len;
        var pre: Pre = .llama3;
        if (cfg.kind == .gpt2) {
            const name = cfg.pre orelse return error.UnsupportedTokenizer;
            pre = preFromName(name) orelse return error.UnsupportedTokenizer;
            if (cfg.merges == null) return error.BadMerges;
        }
        if (n == 0) return error.EmptyVocabulary;
        if (n > std.math.maxInt(u31)) return error.UnsupportedTokenizer;
        if (cfg.scores) |s| if (s.len != n) return error.LengthMismatch;
        if (cfg.types) |t| if (t.len != n) return error.LengthMismatch;
        inline for (.{ "bos", "eos", "eot", "unk", "pad" }) |f| {
            if (@field(cfg, f)) |id| if (id >= n) return error.BadTokenId;
        }

        var t: Tokenizer = undefined;
        t.arena = std.heap.ArenaAllocator.init(gpa);
        errdefer t.arena.deinit();
        const a = t.arena.allocator();
        t.kind = cfg.kind;
        t.bos = cfg.bos;
        t.eos = cfg.eos;
        t.eot = cfg.eot;
        t.unk = cfg.unk;
        t.pad = cfg.pad;
        t.pre = pre;
        const spm = cfg.kind == .llama;
        t.add_bos = cfg.add_bos orelse (spm or pre == .llama3);
        t.add_eos = cfg.add_eos orelse false;
        t.add_space_prefix = cfg.add_space_prefix orelse spm;
        t.ignore_merges = !spm and pre == .llama3;
        t.clean_spaces = cfg.clean_spaces orelse (!spm and pre != .qwen2);
        t.ranks = .empty;

        // One block for all token texts.
        var total: usize = 0;
        for (cfg.tokens) |s| total += s.len;
        const blob = try a.alloc(u8, total);
        const texts = try a.alloc([]const u8, n);
        var off: usize = 0;
        for (cfg.tokens, 0..) |s, i| {
            @memcpy(blob[off .. off + s.len], s);
            texts[i] = blob[off .. off + s.len];
            off += s.len;
        }
        t.texts = texts;

        const scores = try a.alloc(f32, n);
        if (cfg.scores) |s| @memcpy(scores, s) else @memset(scores, 0);
        t.scores = scores;

        const attrs = try a.alloc(Attr, n);
        for (attrs, 0..) |*at, i| {
            const ty: TokenType = if (cfg.types) |ts| @fromBackingInt(@intCast(ts[i])) else .normal;
            at.* = switch (ty) {
                .normal => .{ .normal = true },
                .unknown => .{ .unknown = true },
                .control => .{ .control = true },
                .user_defined => .{ .user_defined = true },
                .unused => .{ .unused = true },
                .byte => .{ .byte = true },
                else => .{},
            };
            // llama.cpp marks control tokens named "...unused..." as unused too.
            if (at.control and std.mem.indexOf(u8, texts[i], "unused") != null) at.unused = true;
        }
        t.attrs = attrs;

        t.map = .empty;
        try t.map.ensureTotalCapacity(a, @intCast(n));
        // Later duplicates win, as in llama.cpp's token_to_id map.
        for (texts, 0..) |s, i| t.map.putAssumeCapacity(s, @intCast(i));

        // End-of-generation tokens named like control tokens but typed otherwise are
        // promoted to control, as llama.cpp does for the names it knows.
        for (eog_names ++ fim_names) |name| {
            if (t.map.get(name)) |id| attrs[id].control = true;
        }
        if (t.eot == null) {
            for (eot_names) |name| if (t.map.get(name)) |id| {
                t.eot = id;
                break;
            };
        }

        for (&t.byte_tokens, 0..) |*bt, b| {
            var buf: [6]u8 = undefined;
            const hex = "0123456789ABCDEF";
            buf = .{ '<', '0', 'x', hex[b >> 4], hex[b & 15], '>' };
            bt.* = t.map.get(&buf) orelse t.map.get(&[1]u8{@intCast(b)});
        }

        if (cfg.kind == .gpt2) {
            const merges = cfg.merges.?;
            try t.ranks.ensureTotalCapacity(a, @intCast(merges.len));
            for (merges, 0..) |m, rank| {
                if (std.mem.indexOfScalar(u8, m, ' ') == null) return error.BadMerges;
                const key = try a.dupe(u8, m);
                // The first occurrence of a merge keeps its rank.
                const gop = t.ranks.getOrPutAssumeCapacity(key);
                if (!gop.found_existing) gop.value_ptr.* = @intCast(rank);
            }
        }

        var specials: std.ArrayList(u32) = .empty;
        for (attrs, 0..) |at, i| {
            if (at.special() and texts[i].len > 0) try specials.append(a, @intCast(i));
        }
        const LenDesc = struct {
            texts: []const []const u8,
            fn lt(ctx: @This(), x: u32, y: u32) bool {
                const lx = ctx.texts[x].len;
                const ly = ctx.texts[y].len;
                return if (lx != ly) lx > ly else x < y;
            }
        };
        std.mem.sort(u32, specials.items, LenDesc{ .texts = texts }, LenDesc.lt);
        t.specials = specials.items;
        @memset(&t.special_first, false);
        for (t.specials) |id| t.special_first[texts[id][0]] = true;
        t.special_set = .empty;
        var lengths: std.ArrayList(usize) = .empty;
        for (t.specials) |id| {
            try t.special_set.put(a, texts[id], {});
            if (std.mem.indexOfScalar(usize, lengths.items, texts[id].len) == null) try lengths.append(a, texts[id].len);
        }
        std.mem.sort(usize, lengths.items, {}, std.sort.asc(usize));
        t.special_lengths = lengths.items;

        const pieces = try a.alloc([]const u8, n);
        for (pieces, 0..) |*p, i| p.* = try t.renderPiece(a, @intCast(i));
        t.pieces = pieces;
        return t;
    }

    pub fn deinit(t: *Tokenizer) void {
        t.arena.deinit();
        t.* = undefined;
    }

    pub fn vocabSize(t: *const Tokenizer) u32 {
        return @intCast(t.texts.len);
    }

    /// The token's text as stored in the vocabulary (with "▁" for spaces).
    pub fn text(t: *const Tokenizer, id: u32) []const u8 {
        return t.texts[id];
    }

    pub fn attr(t: *const Tokenizer, id: u32) Attr {
        return t.attrs[id];
    }

    /// Looks a token up by its exact vocabulary text.
    pub fn lookup(t: *const Tokenizer, s: []const u8) ?u32 {
        return t.map.get(s);
    }

    pub fn isEog(t: *const Tokenizer, id: u32) bool {
        if (t.eos) |e| if (id == e) return true;
        if (t.eot) |e| if (id == e) return true;
        if (id >= t.texts.len) return false;
        for (eog_names) |name| if (std.mem.eql(u8, t.texts[id], name)) return true;
        return false;
    }

    /// The bytes a token renders to. Control and unknown tokens render as nothing unless
    /// `special`. A byte token renders as its single (possibly partial UTF-8) byte.
    pub fn piece(t: *const Tokenizer, id: u32, special: bool) []const u8 {
        if (id >= t.pieces.len) return "";
        const at = t.attrs[id];
        if (!special and (at.control or at.unknown)) return "";
        return t.pieces[id];
    }

    fn renderPiece(t: *const Tokenizer, a: Allocator, id: u32) Error![]const u8 {
        const at = t.attrs[id];
        const s = t.texts[id];
        if (at.special()) return s;
        if (at.normal) return if (t.kind == .llama) unescapeWhitespace(a, s) else byteDecode(a, s);
        if (at.byte) {
            if (s.len == 6 and std.mem.startsWith(u8, s, "<0x") and s[5] == '>') {
                const b = std.fmt.parseInt(u8, s[3..5], 16) catch return "";
                const one = try a.alloc(u8, 1);
                one[0] = b;
                return one;
            }
            return "";
        }
        // Unused/undefined tokens render as nothing, like llama.cpp.
        return "";
    }

    /// Tokenises `input` exactly as llama.cpp's llama_tokenize(add_special, parse_special).
    /// Returns ids owned by the caller (free with `gpa`).
    pub fn encode(t: *const Tokenizer, gpa: Allocator, input: []const u8, add_special: bool, parse_special: bool) Error![]u32 {
        var out: std.ArrayList(u32) = .empty;
        errdefer out.deinit(gpa);
        try t.encodeInto(gpa, &out, input, add_special, parse_special);
        return out.toOwnedSlice(gpa);
    }

    /// Like `encode`, appending to `out`.
    pub fn encodeInto(t: *const Tokenizer, gpa: Allocator, out: *std.ArrayList(u32), input: []const u8, add_special: bool, parse_special: bool) Error!void {
        var frags: std.ArrayList(Fragment) = .empty;
        defer frags.deinit(gpa);
        if (input.len > 0) {
            try frags.append(gpa, .{ .start = 0, .len = input.len });
            try t.partition(gpa, &frags, input, parse_special);
        }

        if (t.kind == .gpt2) return t.encodeBpe(gpa, out, input, frags.items, add_special);

        var session: SpmSession = .{ .t = t, .gpa = gpa };
        defer session.deinit();
        var escaped: std.ArrayList(u8) = .empty;
        defer escaped.deinit(gpa);

        var prev_special = true;
        if (add_special and t.add_bos) {
            if (t.bos) |b| try out.append(gpa, b);
        }
        for (frags.items) |f| {
            if (f.token) |id| {
                try out.append(gpa, id);
                prev_special = true;
                continue;
            }
            escaped.clearRetainingCapacity();
            if (t.add_space_prefix and prev_special) try escaped.appendSlice(gpa, "\u{2581}");
            for (input[f.start .. f.start + f.len]) |c| {
                if (c == ' ') try escaped.appendSlice(gpa, "\u{2581}") else try escaped.append(gpa, c);
            }
            try session.tokenize(escaped.items, out);
            prev_special = false;
        }
        if (add_special and t.add_eos) {
            if (t.eos) |e| try out.append(gpa, e);
        }
    }

    const Fragment = struct {
        start: usize,
        len: usize,
        token: ?u32 = null,
    };

    /// Splits raw-text fragments around special tokens, longest special first (as
    /// llama.cpp does). Only the specials that occur in `input` at all are searched for:
    /// one pass over `input` finds them.
    fn partition(t: *const Tokenizer, gpa: Allocator, frags: *std.ArrayList(Fragment), input: []const u8, parse_special: bool) Error!void {
        var found: std.StringHashMapUnmanaged(void) = .empty;
        defer found.deinit(gpa);
        for (0..input.len) |i| {
            if (!t.special_first[input[i]]) continue;
            for (t.special_lengths) |len| {
                if (i + len > input.len) break;
                const cand = input[i .. i + len];
                if (t.special_set.contains(cand)) try found.put(gpa, cand, {});
            }
        }
        if (found.count() == 0) return;
        var next: std.ArrayList(Fragment) = .empty;
        defer next.deinit(gpa);
        for (t.specials) |id| {
            const at = t.attrs[id];
            if (!parse_special and (at.control or at.unknown)) continue;
            const s = t.texts[id];
            if (!found.contains(s)) continue;
            next.clearRetainingCapacity();
            var changed = false;
            for (frags.items) |f| {
                if (f.token != null) {
                    try next.append(gpa, f);
                    continue;
                }
                var start = f.start;
                const end = f.start + f.len;
                while (start < end) {
                    const hit = std.mem.indexOf(u8, input[start..end], s) orelse break;
                    const m = start + hit;
                    changed = true;
                    if (m > start) try next.append(gpa, .{ .start = start, .len = m - start });
                    try next.append(gpa, .{ .start = m, .len = s.len, .token = id });
                    start = m + s.len;
                }
                if (start < end) try next.append(gpa, .{ .start = start, .len = end - start });
            }
            if (changed) std.mem.swap(std.ArrayList(Fragment), frags, &next);
        }
    }

    /// Concatenates the pieces of `ids` (llama_detokenize). Caller frees.
    pub fn decode(t: *const Tokenizer, gpa: Allocator, ids: []const u32, opts: DecodeOptions) Error![]u8 {
        var list = ids;
        var remove_space = t.add_space_prefix;
        if (opts.remove_special and t.add_bos) {
            if (t.bos) |b| if (list.len > 0 and list[0] == b) {
                remove_space = false;
                list = list[1..];
            };
        }
        if (opts.remove_special and t.add_eos) {
            if (t.eos) |e| if (list.len > 0 and list[list.len - 1] == e) {
                list = list[0 .. list.len - 1];
            };
        }
        var out: std.ArrayList(u8) = .empty;
        errdefer out.deinit(gpa);
        for (list) |id| {
            if (id >= t.texts.len) return error.BadTokenId;
            var p = t.piece(id, opts.unparse_special);
            if (remove_space and p.len > 0 and p[0] == ' ') p = p[1..];
            remove_space = false;
            try out.appendSlice(gpa, p);
        }
        if (t.clean_spaces) cleanSpaces(&out);
        return out.toOwnedSlice(gpa);
    }

    fn encodeBpe(t: *const Tokenizer, gpa: Allocator, out: *std.ArrayList(u32), input: []const u8, frags: []const Fragment, add_special: bool) Error!void {
        if (add_special and t.add_bos) {
            if (t.bos) |b| try out.append(gpa, b);
        }
        var session: BpeSession = .{ .t = t, .gpa = gpa };
        defer session.deinit();
        for (frags) |f| {
            if (f.token) |id| {
                try out.append(gpa, id);
                continue;
            }
            try session.tokenize(input[f.start .. f.start + f.len], out);
        }
        if (add_special and t.add_eos) {
            if (t.eos) |e| try out.append(gpa, e);
        }
    }
};

fn preFromName(name: []const u8) ?Pre {
    const table = [_]struct { []const u8, Pre }{
        .{ "llama3", .llama3 },   .{ "llama-v3", .llama3 },  .{ "llama-bpe", .llama3 },
        .{ "falcon3", .llama3 },  .{ "falcon-h1", .llama3 }, .{ "pixtral", .llama3 },
        .{ "midm-2.0", .llama3 }, .{ "lfm2", .llama3 },      .{ "gpt-2", .gpt2 },
        .{ "phi-2", .gpt2 },      .{ "jina-es", .gpt2 },     .{ "jina-de", .gpt2 },
        .{ "gigachat", .gpt2 },   .{ "jina-v2-es", .gpt2 },  .{ "jina-v2-de", .gpt2 },
        .{ "mellum", .gpt2 },     .{ "qwen2", .qwen2 },      .{ "deepseek-r1-qwen", .qwen2 },
    };
    for (table) |e| if (std.mem.eql(u8, e[0], name)) return e[1];
    return null;
}

/// llama.cpp's clean_up_tokenization_spaces: " ?" " !" " ." " ," lose the space,
/// " ' " loses both spaces, and " 's" " 'm" " 're" " 've" lose the space.
fn cleanSpaces(out: *std.ArrayList(u8)) void {
    var text = out.items;
    // pass 1
    var total: usize = if (text.len > 0) 1 else 0;
    var i: usize = 1;
    while (i < text.len) : (i += 1) {
        const x = text[i];
        if (text[i - 1] == ' ' and (x == '?' or x == '!' or x == '.' or x == ',')) total -= 1;
        text[total] = x;
        total += 1;
    }
    text = text[0..total];
    // pass 2
    total = if (text.len > 0) 1 else 0;
    i = 1;
    while (i < text.len) : (i += 1) {
        const x = text[i];
        if (x == '\'' and i + 1 < text.len and text[i - 1] == ' ' and text[i + 1] == ' ') {
            total -= 1;
            i += 1;
            text[i] = 0;
        }
        text[total] = x;
        total += 1;
    }
    text = text[0..total];
    // pass 3
    total = if (text.len > 0) 1 else 0;
    i = 1;
    while (i < text.len) : (i += 1) {
        const x = text[i];
        if (text[i - 1] == ' ' and x == '\'' and i + 1 < text.len) {
            const x1 = text[i + 1];
            if (x1 == 's' or x1 == 'm') {
                total -= 1;
            } else if (i + 2 < text.len) {
                const x2 = text[i + 2];
                if ((x1 == 'r' and x2 == 'e') or (x1 == 'v' and x2 == 'e')) total -= 1;
            }
        }
        text[total] = x;
        total += 1;
    }
    out.items.len = total;
}

// ---------------------------------------------------------------------------------------
// Byte-level BPE (GPT-2 byte encoding)

/// The code point GPT-2's byte encoding gives byte b.
fn byteToCp(b: u8) u21 {
    if ((b >= 0x21 and b <= 0x7E) or (b >= 0xA1 and b <= 0xAC) or (b >= 0xAE)) return b;
    // the other 68 bytes map to 256.. in byte order
    var n: u21 = 0;
    var x: u16 = 0;
    while (x < b) : (x += 1) {
        const c: u8 = @intCast(x);
        if (!((c >= 0x21 and c <= 0x7E) or (c >= 0xA1 and c <= 0xAC) or (c >= 0xAE))) n += 1;
    }
    return 256 + n;
}

const cp_to_byte: [256 + 68]i16 = blk: {
    @setEvalBranchQuota(100000);
    var table: [256 + 68]i16 = @splat(-1);
    for (0..256) |b| table[byteToCp(@intCast(b))] = @intCast(b);
    break :blk table;
};

/// A normal BPE token's text back to bytes (llama_decode_text).
fn byteDecode(a: Allocator, s: []const u8) Error![]const u8 {
    var out: std.ArrayList(u8) = .empty;
    var i: usize = 0;
    while (i < s.len) {
        const d = decodeCp(s, i);
        i += d.len;
        if (d.cp < cp_to_byte.len and cp_to_byte[d.cp] >= 0) {
            try out.append(a, @intCast(cp_to_byte[d.cp]));
        } else {
            // llama.cpp writes the unmappable code point's bytes and the whole text
            try out.appendSlice(a, "[UNK_BYTE_0x");
            var buf: [4]u8 = undefined;
            const n = encodeCp(d.cp, &buf);
            for (buf[0..n]) |c| try out.print(a, "{x:0>2}", .{c});
            try out.appendSlice(a, s);
            try out.append(a, ']');
        }
    }
    return out.toOwnedSlice(a);
}

/// llama.cpp's UTF-8 decoding: invalid sequences give U+FFFD and advance one byte;
/// overlong forms and values past U+10FFFF are accepted as they are.
fn decodeCp(s: []const u8, i: usize) struct { cp: u32, len: usize } {
    const b0 = s[i];
    if (b0 & 0x80 == 0) return .{ .cp = b0, .len = 1 };
    const bad: @TypeOf(decodeCp(s, i)) = .{ .cp = 0xFFFD, .len = 1 };
    if (b0 & 0x40 == 0) return bad;
    const cont = struct {
        fn f(x: []const u8, j: usize) bool {
            return j < x.len and x[j] & 0xC0 == 0x80;
        }
    }.f;
    if (b0 & 0x20 == 0) {
        if (!cont(s, i + 1)) return bad;
        return .{ .cp = (@as(u32, b0 & 0x1F) << 6) | (s[i + 1] & 0x3F), .len = 2 };
    }
    if (b0 & 0x10 == 0) {
        if (!cont(s, i + 1) or !cont(s, i + 2)) return bad;
        return .{ .cp = (@as(u32, b0 & 0x0F) << 12) | (@as(u32, s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F), .len = 3 };
    }
    if (b0 & 0x08 == 0) {
        if (!cont(s, i + 1) or !cont(s, i + 2) or !cont(s, i + 3)) return bad;
        return .{ .cp = (@as(u32, b0 & 0x07) << 18) | (@as(u32, s[i + 1] & 0x3F) << 12) | (@as(u32, s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F), .len = 4 };
    }
    return bad;
}

/// UTF-8 bytes of a code point (up to 0x1FFFFF, as llama.cpp writes them).
fn encodeCp(cp: u32, buf: *[4]u8) usize {
    if (cp < 0x80) {
        buf[0] = @intCast(cp);
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = @intCast(0xC0 | (cp >> 6));
        buf[1] = @intCast(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = @intCast(0xE0 | (cp >> 12));
        buf[1] = @intCast(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = @intCast(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = @intCast(0xF0 | ((cp >> 18) & 0x07));
    buf[1] = @intCast(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = @intCast(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = @intCast(0x80 | (cp & 0x3F));
    return 4;
}

fn inRanges(ranges: []const [2]u21, cp: u32) bool {
    var lo: usize = 0;
    var hi: usize = ranges.len;
    while (lo < hi) {
        const mid = (lo + hi) / 2;
        if (cp < ranges[mid][0]) {
            hi = mid;
        } else if (cp > ranges[mid][1]) {
            lo = mid + 1;
        } else return true;
    }
    return false;
}

const CpFlags = struct {
    letter: bool = false,
    number: bool = false,
    space: bool = false,
    /// Any flag at all (an assigned code point).
    any: bool = false,
};

fn isSpace(cp: u32) bool {
    return switch (cp) {
        0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 => true,
        else => false,
    };
}

fn cpFlags(cp: u32) CpFlags {
    if (cp > 0x10FFFF) return .{};
    if (cp < 0x80) {
        const c: u8 = @intCast(cp);
        return .{
            .letter = std.ascii.isAlphabetic(c),
            .number = std.ascii.isDigit(c),
            .space = isSpace(cp),
            .any = true,
        };
    }
    return .{
        .letter = inRanges(&unicode.letter, cp),
        .number = inRanges(&unicode.number, cp),
        .space = isSpace(cp),
        .any = isSpace(cp) or inRanges(&unicode.assigned, cp),
    };
}

/// Splits code points into words the way llama.cpp's native pre-tokenizers do; appends
/// each word's length (in code points) to `lens`.
fn splitWords(pre: Pre, gpa: Allocator, cpts: []const u32, lens: *std.ArrayList(usize)) Error!void {
    const n = cpts.len;
    const oor: u32 = 0xFFFFFFFF;
    const S = struct {
        c: []const u32,
        fn get(s: @This(), p: usize) u32 {
            return if (p < s.c.len) s.c[p] else 0xFFFFFFFF;
        }
        fn fl(s: @This(), p: usize) CpFlags {
            return if (p < s.c.len) cpFlags(s.c[p]) else .{};
        }
    };
    const st: S = .{ .c = cpts };
    var prev_end: usize = 0;
    var pos: usize = 0;
    const add = struct {
        fn f(g: Allocator, l: *std.ArrayList(usize), prev: *usize, end: usize) Error!void {
            if (end > prev.*) try l.append(g, end - prev.*);
            prev.* = end;
        }
    }.f;
    const lower = struct {
        fn f(c: u32) u32 {
            return if (c >= 'A' and c <= 'Z') c + 32 else c;
        }
    }.f;
    while (pos < n) {
        const cpt = st.get(pos);
        const f = st.fl(pos);
        // 's 't 're 've 'm 'll 'd (case-insensitive except for gpt2)
        if (cpt == '\'' and pos + 1 < n) {
            const nx = if (pre == .gpt2) st.get(pos + 1) else lower(st.get(pos + 1));
            if (nx == 's' or nx == 't' or nx == 'm' or nx == 'd') {
                pos += 2;
                try add(gpa, lens, &prev_end, pos);
                continue;
            }
            if (pos + 2 < n) {
                const nn = if (pre == .gpt2) st.get(pos + 2) else lower(st.get(pos + 2));
                if ((nx == 'r' and nn == 'e') or (nx == 'v' and nn == 'e') or (nx == 'l' and nn == 'l')) {
                    pos += 3;
                    try add(gpa, lens, &prev_end, pos);
                    continue;
                }
            }
        }
        if (pre == .gpt2) {
            var f2 = if (cpt == ' ') st.fl(pos + 1) else f;
            if (f2.letter or f2.number) {
                const want_letter = f2.letter;
                if (cpt == ' ') pos += 1;
                while (if (want_letter) f2.letter else f2.number) {
                    pos += 1;
                    f2 = st.fl(pos);
                }
                try add(gpa, lens, &prev_end, pos);
                continue;
            }
            if (!(f2.space or f2.letter or f2.number) and f2.any) {
                if (cpt == ' ') pos += 1;
                while (!(f2.space or f2.letter or f2.number) and f2.any) {
                    pos += 1;
                    f2 = st.fl(pos);
                }
                try add(gpa, lens, &prev_end, pos);
                continue;
            }
            var nws: usize = 0;
            while (st.fl(pos + nws).space) nws += 1;
            if (nws > 1 and st.get(pos + nws) != oor) {
                pos += nws - 1;
                try add(gpa, lens, &prev_end, pos);
                continue;
            }
            if (nws > 0) {
                pos += nws;
                try add(gpa, lens, &prev_end, pos);
                continue;
            }
            pos += 1;
            try add(gpa, lens, &prev_end, pos);
            continue;
        }
        // llama3 / qwen2
        if (!(cpt == '\r' or cpt == '\n' or f.number)) {
            if (f.letter or st.fl(pos + 1).letter) {
                pos += 1;
                while (st.fl(pos).letter) pos += 1;
                try add(gpa, lens, &prev_end, pos);
                continue;
            }
        }
        if (f.number) {
            if (pre == .qwen2) {
                pos += 1;
            } else {
                var ini = pos;
                while (st.fl(pos).number) {
                    pos += 1;
                    if (pos - ini >= 3) {
                        try add(gpa, lens, &prev_end, pos);
                        ini = pos;
                    }
                }
            }
            try add(gpa, lens, &prev_end, pos);
            continue;
        }
        var f2 = if (cpt == ' ') st.fl(pos + 1) else f;
        if (!(f2.space or f2.letter or f2.number) and f.any) {
            if (cpt == ' ') pos += 1;
            while (!(f2.space or f2.letter or f2.number) and f2.any) {
                pos += 1;
                f2 = st.fl(pos);
            }
            var c2 = st.get(pos);
            while (c2 == '\r' or c2 == '\n') {
                pos += 1;
                c2 = st.get(pos);
            }
            try add(gpa, lens, &prev_end, pos);
            continue;
        }
        var nws: usize = 0;
        var last_rn: usize = 0;
        while (st.fl(pos + nws).space) {
            const c2 = st.get(pos + nws);
            if (c2 == '\r' or c2 == '\n') last_rn = pos + nws + 1;
            nws += 1;
        }
        if (last_rn > 0) {
            pos = last_rn;
            try add(gpa, lens, &prev_end, pos);
            continue;
        }
        if (nws > 1 and st.get(pos + nws) != oor) {
            pos += nws - 1;
            try add(gpa, lens, &prev_end, pos);
            continue;
        }
        if (nws > 0) {
            pos += nws;
            try add(gpa, lens, &prev_end, pos);
            continue;
        }
        pos += 1;
        try add(gpa, lens, &prev_end, pos);
    }
}

/// One byte-level BPE tokenisation of a raw-text fragment.
const BpeSession = struct {
    t: *const Tokenizer,
    gpa: Allocator,
    cpts: std.ArrayList(u32) = .empty,
    lens: std.ArrayList(usize) = .empty,
    word: std.ArrayList(u8) = .empty,
    key: std.ArrayList(u8) = .empty,
    symbols: std.ArrayList(SpmSession.Symbol) = .empty,
    heap: std.ArrayList(Bigram) = .empty,

    const Bigram = struct { left: i32, right: i32, rank: u32, size: usize };

    fn deinit(s: *BpeSession) void {
        s.cpts.deinit(s.gpa);
        s.lens.deinit(s.gpa);
        s.word.deinit(s.gpa);
        s.key.deinit(s.gpa);
        s.symbols.deinit(s.gpa);
        s.heap.deinit(s.gpa);
    }

    fn before(a: Bigram, b: Bigram) bool {
        if (a.rank != b.rank) return a.rank < b.rank;
        return a.left < b.left;
    }

    fn push(s: *BpeSession, b: Bigram) Error!void {
        try heapPush(Bigram, before, s.gpa, &s.heap, b);
    }

    fn pop(s: *BpeSession) Bigram {
        return heapPop(Bigram, before, &s.heap);
    }

    fn tokenize(s: *BpeSession, text: []const u8, out: *std.ArrayList(u32)) Error!void {
        s.cpts.clearRetainingCapacity();
        var i: usize = 0;
        while (i < text.len) {
            const d = decodeCp(text, i);
            try s.cpts.append(s.gpa, d.cp);
            i += d.len;
        }
        s.lens.clearRetainingCapacity();
        try splitWords(s.t.pre, s.gpa, s.cpts.items, &s.lens);
        var start: usize = 0;
        for (s.lens.items) |len| {
            // the word's UTF-8, then GPT-2 byte encoding of those bytes
            var raw: [4]u8 = undefined;
            s.word.clearRetainingCapacity();
            for (s.cpts.items[start .. start + len]) |cp| {
                const nb = encodeCp(cp, &raw);
                for (raw[0..nb]) |b| {
                    var enc: [4]u8 = undefined;
                    const ne = encodeCp(byteToCp(b), &enc);
                    try s.word.appendSlice(s.gpa, enc[0..ne]);
                }
            }
            start += len;
            try s.mergeWord(s.word.items, out);
        }
    }

    fn mergeWord(s: *BpeSession, word: []const u8, out: *std.ArrayList(u32)) Error!void {
        const t = s.t;
        if (t.ignore_merges) {
            if (t.map.get(word)) |id| {
                try out.append(s.gpa, id);
                return;
            }
        }
        s.symbols.clearRetainingCapacity();
        s.heap.clearRetainingCapacity();
        var off: usize = 0;
        var idx: i32 = 0;
        while (off < word.len) {
            const n = @min(utf8Len(word[off]), word.len - off);
            off += n;
            try s.symbols.append(s.gpa, .{ .start = off - n, .n = n, .prev = idx - 1, .next = if (off == word.len) -1 else idx + 1 });
            idx += 1;
        }
        const count: i32 = @intCast(s.symbols.items.len);
        var k: i32 = 1;
        while (k < count) : (k += 1) try s.addBigram(word, k - 1, k);
        while (s.heap.items.len > 0) {
            const b = s.pop();
            const syms = s.symbols.items;
            const l = &syms[@intCast(b.left)];
            const r = &syms[@intCast(b.right)];
            if (l.n == 0 or r.n == 0 or l.n + r.n != b.size) continue;
            l.n += r.n;
            r.n = 0;
            l.next = r.next;
            if (r.next >= 0) syms[@intCast(r.next)].prev = b.left;
            const lp = l.prev;
            const ln = l.next;
            try s.addBigram(word, lp, b.left);
            try s.addBigram(word, b.left, ln);
        }
        for (s.symbols.items) |sym| {
            if (sym.n == 0) continue;
            const str = word[sym.start .. sym.start + sym.n];
            if (t.map.get(str)) |id| {
                try out.append(s.gpa, id);
                continue;
            }
            for (str) |c| {
                if (t.map.get(&[1]u8{c})) |id| try out.append(s.gpa, id);
            }
        }
    }

    fn addBigram(s: *BpeSession, word: []const u8, left: i32, right: i32) Error!void {
        if (left == -1 or right == -1) return;
        const l = s.symbols.items[@intCast(left)];
        const r = s.symbols.items[@intCast(right)];
        s.key.clearRetainingCapacity();
        try s.key.appendSlice(s.gpa, word[l.start .. l.start + l.n]);
        try s.key.append(s.gpa, ' ');
        try s.key.appendSlice(s.gpa, word[r.start .. r.start + r.n]);
        const rank = s.t.ranks.get(s.key.items) orelse return;
        try s.push(.{ .left = left, .right = right, .rank = rank, .size = l.n + r.n });
    }
};

/// Names llama.cpp treats as end of generation; a token with one of these names is made a
/// control token even when the vocabulary types it otherwise (gemma's "</s>" for one).
const eog_names = [_][]const u8{
    "<|eot_id|>",                                      "<|im_end|>",         "<|end|>",       "<|return|>",    "<|call|>",
    "<|flush|>",                                       "<|calls|>",          "<end_of_turn>", "<|endoftext|>", "</s>",
    "<|eom_id|>",                                      "<EOT>",              "_<EOT>",        "[EOT]",         "[EOS]",
    "<|end_of_text|>",                                 "<end_of_utterance>", "<eos>",         "<turn|>",       "<|tool_response>",
    "<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>",
};
/// Fill-in-the-middle names llama.cpp also promotes to control tokens.
const fim_names = [_][]const u8{
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",  "<PRE>",        "\u{2581}<PRE>",                      "<|code_prefix|>",                   "<|prefix|>",
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",  "<SUF>",        "\u{2581}<SUF>",                      "<|code_suffix|>",                   "<|suffix|>",
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>",  "<MID>",        "\u{2581}<MID>",                      "<|code_middle|>",                   "<|middle|>",
    "<|fim_pad|>",    "<fim-pad>",    "<fim_pad>",     "<PAD>",        "[PAD]",                              "<|fim_repo|>",                      "<fim-repo>",
    "<REPO>",         "<reponame>",   "<|repo_name|>", "<|file_sep|>", "<\u{FF5C}fim\u{2581}begin\u{FF5C}>", "<\u{FF5C}fim\u{2581}hole\u{FF5C}>", "<\u{FF5C}fim\u{2581}end\u{FF5C}>",
};
/// The end-of-turn token, when the vocabulary does not name one (first match wins).
const eot_names = [_][]const u8{
    "<|eot_id|>",                                      "<|im_end|>",         "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
    "<\u{FF5C}end\u{2581}of\u{2581}sentence\u{FF5C}>", "<end_of_utterance>",
};

fn unescapeWhitespace(a: Allocator, s: []const u8) Error![]const u8 {
    const mark = "\u{2581}";
    if (std.mem.indexOf(u8, s, mark) == null) return s;
    const out = try a.alloc(u8, s.len);
    var i: usize = 0;
    var o: usize = 0;
    while (i < s.len) {
        if (std.mem.startsWith(u8, s[i..], mark)) {
            out[o] = ' ';
            o += 1;
            i += mark.len;
        } else {
            out[o] = s[i];
            o += 1;
            i += 1;
        }
    }
    return out[0..o];
}

/// Bytes in a UTF-8 sequence from its first byte (llama.cpp's table: continuation bytes
/// count as 1, 0xF8.. as 4).
fn utf8Len(first: u8) usize {
    const table = [16]usize{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
    return table[first >> 4];
}

/// One SentencePiece (BPE-by-score) tokenisation of an escaped fragment.
const SpmSession = struct {
    t: *const Tokenizer,
    gpa: Allocator,
    symbols: std.ArrayList(Symbol) = .empty,
    heap: std.ArrayList(Bigram) = .empty,
    rev: std.StringHashMapUnmanaged([2]i32) = .empty,
    stack: std.ArrayList(i32) = .empty,

    const Symbol = struct { start: usize, n: usize, prev: i32, next: i32 };
    const Bigram = struct { left: i32, right: i32, score: f32, size: usize };

    fn deinit(s: *SpmSession) void {
        s.symbols.deinit(s.gpa);
        s.heap.deinit(s.gpa);
        s.rev.deinit(s.gpa);
        s.stack.deinit(s.gpa);
    }

    /// a is popped before b.
    fn before(a: Bigram, b: Bigram) bool {
        if (a.score != b.score) return a.score > b.score;
        return a.left < b.left;
    }

    fn push(s: *SpmSession, b: Bigram) Error!void {
        try heapPush(Bigram, before, s.gpa, &s.heap, b);
    }

    fn pop(s: *SpmSession) Bigram {
        return heapPop(Bigram, before, &s.heap);
    }

    fn tokenize(s: *SpmSession, txt: []const u8, out: *std.ArrayList(u32)) Error!void {
        s.symbols.clearRetainingCapacity();
        s.heap.clearRetainingCapacity();
        s.rev.clearRetainingCapacity();
        var off: usize = 0;
        var idx: i32 = 0;
        while (off < txt.len) {
            const n = @min(utf8Len(txt[off]), txt.len - off);
            off += n;
            try s.symbols.append(s.gpa, .{
                .start = off - n,
                .n = n,
                .prev = idx - 1,
                .next = if (off == txt.len) -1 else idx + 1,
            });
            idx += 1;
        }
        const count: i32 = @intCast(s.symbols.items.len);
        var i: i32 = 1;
        while (i < count) : (i += 1) try s.addBigram(txt, i - 1, i);

        while (s.heap.items.len > 0) {
            const b = s.pop();
            const syms = s.symbols.items;
            const l = &syms[@intCast(b.left)];
            const r = &syms[@intCast(b.right)];
            if (l.n == 0 or r.n == 0 or l.n + r.n != b.size) continue;
            l.n += r.n;
            r.n = 0;
            l.next = r.next;
            if (r.next >= 0) syms[@intCast(r.next)].prev = b.left;
            const lp = l.prev;
            const ln = l.next;
            try s.addBigram(txt, lp, b.left);
            try s.addBigram(txt, b.left, ln);
        }

        if (s.symbols.items.len == 0) return;
        var k: i32 = 0;
        while (k != -1) {
            try s.resegment(txt, k, out);
            k = s.symbols.items[@intCast(k)].next;
        }
    }

    fn addBigram(s: *SpmSession, txt: []const u8, left: i32, right: i32) Error!void {
        if (left == -1 or right == -1) return;
        const l = s.symbols.items[@intCast(left)];
        const r = s.symbols.items[@intCast(right)];
        const str = txt[l.start .. l.start + l.n + r.n];
        const id = s.t.map.get(str) orelse return;
        try s.push(.{ .left = left, .right = right, .score = s.t.scores[id], .size = str.len });
        try s.rev.put(s.gpa, str, .{ left, right });
    }

    fn resegment(s: *SpmSession, txt: []const u8, root: i32, out: *std.ArrayList(u32)) Error!void {
        s.stack.clearRetainingCapacity();
        try s.stack.append(s.gpa, root);
        while (s.stack.pop()) |si| {
            const sym = s.symbols.items[@intCast(si)];
            const str = txt[sym.start .. sym.start + sym.n];
            if (s.t.map.get(str)) |id| {
                try out.append(s.gpa, id);
                continue;
            }
            if (s.rev.get(str)) |pair| {
                // Right first so the left half is emitted first.
                try s.stack.append(s.gpa, pair[1]);
                try s.stack.append(s.gpa, pair[0]);
                continue;
            }
            for (str) |c| {
                const id = s.t.byte_tokens[c] orelse s.t.unk orelse return error.NoByteToken;
                try out.append(s.gpa, id);
            }
        }
    }
};

/// Streams token pieces as text without ever splitting a UTF-8 character: bytes of an
/// unfinished character wait for the next piece; bytes that can never form a character
/// come out as U+FFFD. Holds at most 3 bytes, allocates nothing itself.
pub const StreamDecoder = struct {
    pending: [4]u8 = undefined,
    n: u8 = 0,

    /// Appends the complete characters of `pending ++ bytes` to `out`.
    pub fn push(d: *StreamDecoder, gpa: Allocator, out: *std.ArrayList(u8), bytes: []const u8) Allocator.Error!void {
        for (bytes) |b| try d.pushByte(gpa, out, b);
    }

    fn pushByte(d: *StreamDecoder, gpa: Allocator, out: *std.ArrayList(u8), b: u8) Allocator.Error!void {
        if (d.n == 0) {
            if (b < 0x80) return out.append(gpa, b);
            const need = seqLen(b);
            if (need == 0) return out.appendSlice(gpa, replacement);
            d.pending[0] = b;
            d.n = 1;
            return;
        }
        // Inside a sequence: b must be a valid continuation for the lead byte.
        if (!validNext(d.pending[0], d.n, b)) {
            try out.appendSlice(gpa, replacement);
            d.n = 0;
            return d.pushByte(gpa, out, b);
        }
        d.pending[d.n] = b;
        d.n += 1;
        if (d.n == seqLen(d.pending[0])) {
            try out.appendSlice(gpa, d.pending[0..d.n]);
            d.n = 0;
        }
    }

    /// Bytes waiting for the rest of their character.
    pub fn pendingBytes(d: *const StreamDecoder) []const u8 {
        return d.pending[0..d.n];
    }

    /// Ends the stream: an unfinished character becomes U+FFFD.
    pub fn finish(d: *StreamDecoder, gpa: Allocator, out: *std.ArrayList(u8)) Allocator.Error!void {
        if (d.n > 0) try out.appendSlice(gpa, replacement);
        d.n = 0;
    }

    pub fn reset(d: *StreamDecoder) void {
        d.n = 0;
    }

    const replacement = "\u{FFFD}";

    fn seqLen(lead: u8) u8 {
        return switch (lead) {
            0xC2...0xDF => 2,
            0xE0...0xEF => 3,
            0xF0...0xF4 => 4,
            else => 0,
        };
    }

    /// Whether `b` may be byte number `pos` (1-based after the lead) of a sequence.
    fn validNext(lead: u8, pos: u8, b: u8) bool {
        if (pos == 1) {
            return switch (lead) {
                0xE0 => b >= 0xA0 and b <= 0xBF,
                0xED => b >= 0x80 and b <= 0x9F,
                0xF0 => b >= 0x90 and b <= 0xBF,
                0xF4 => b >= 0x80 and b <= 0x8F,
                else => b >= 0x80 and b <= 0xBF,
            };
        }
        return b >= 0x80 and b <= 0xBF;
    }
};

// ---------------------------------------------------------------------------------------
// Tests

const testing = std.testing;

/// A tiny SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, then pieces.
fn tinyVocab(gpa: Allocator, extra: []const []const u8, extra_scores: []const f32, extra_types: []const i32) !struct {
    tokens: [][]const u8,
    scores: []f32,
    types: []i32,
    names: std.ArrayList([]u8),

    fn deinit(v: *@This(), g: Allocator) void {
        for (v.names.items) |s| g.free(s);
        v.names.deinit(g);
        g.free(v.tokens);
        g.free(v.scores);
        g.free(v.types);
    }
} {
    const n = 3 + 256 + extra.len;
    const tokens = try gpa.alloc([]const u8, n);
    const scores = try gpa.alloc(f32, n);
    const types = try gpa.alloc(i32, n);
    var names: std.ArrayList([]u8) = .empty;
    tokens[0] = "<unk>";
    tokens[1] = "<s>";
    tokens[2] = "</s>";
    types[0] = 2;
    types[1] = 3;
    types[2] = 3;
    scores[0] = 0;
    scores[1] = 0;
    scores[2] = 0;
    for (0..256) |b| {
        const s = try std.fmt.allocPrint(gpa, "<0x{X:0>2}>", .{b});
        try names.append(gpa, s);
        tokens[3 + b] = s;
        types[3 + b] = 6;
        scores[3 + b] = 0;
    }
    for (extra, 0..) |e, i| {
        tokens[259 + i] = e;
        scores[259 + i] = extra_scores[i];
        types[259 + i] = extra_types[i];
    }
    return .{ .tokens = tokens, .scores = scores, .types = types, .names = names };
}

test "spm merges by score, escapes spaces and adds a space prefix" {
    const gpa = testing.allocator;
    const extra = [_][]const u8{ "\u{2581}", "h", "e", "l", "o", "he", "ll", "hell", "hello", "\u{2581}hello", "<|user|>" };
    const sc = [_]f32{ -1, -2, -2, -2, -2, -3, -3, -4, -5, -1, 0 };
    const ty = [_]i32{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4 };
    var v = try tinyVocab(gpa, &extra, &sc, &ty);
    defer v.deinit(gpa);
    var tok = try Tokenizer.init(gpa, .{ .tokens = v.tokens, .scores = v.scores, .types = v.types, .bos = 1, .eos = 2, .unk = 0 });
    defer tok.deinit();
    const base: u32 = 259;

    const ids = try tok.encode(gpa, "hello", true, false);
    defer gpa.free(ids);
    try testing.expectEqualSlices(u32, &.{ 1, base + 9 }, ids);

    // "hello hello": the second word gets "▁hello" too (space is escaped).
    const ids2 = try tok.encode(gpa, "hello hello", false, false);
    defer gpa.free(ids2);
    try testing.expectEqualSlices(u32, &.{ base + 9, base + 9 }, ids2);

    // Unknown characters fall back to bytes: "é" = C3 A9.
    const ids3 = try tok.encode(gpa, "é", false, false);
    defer gpa.free(ids3);
    try testing.expectEqualSlices(u32, &.{ base + 0, 3 + 0xC3, 3 + 0xA9 }, ids3);

    // Control tokens are text unless parse_special; user-defined ones always split.
    const ids4 = try tok.encode(gpa, "<s>", false, false);
    defer gpa.free(ids4);
    try testing.expect(ids4.len > 1);
    const ids5 = try tok.encode(gpa, "<s>hello", false, true);
    defer gpa.free(ids5);
    try testing.expectEqualSlices(u32, &.{ 1, base + 9 }, ids5);
    const ids6 = try tok.encode(gpa, "he<|user|>", false, false);
    defer gpa.free(ids6);
    try testing.expectEqualSlices(u32, &.{ base + 0, base + 5, base + 10 }, ids6);

    // Empty text: just BOS with add_special.
    const ids7 = try tok.encode(gpa, "", true, true);
    defer gpa.free(ids7);
    try testing.expectEqualSlices(u32, &.{1}, ids7);

    const txt = try tok.decode(gpa, &.{ 1, base + 9, base + 9, 3 + 0xC3, 3 + 0xA9 }, .{});
    defer gpa.free(txt);
    try testing.expectEqualStrings("<s> hello helloé", txt);
    const txt2 = try tok.decode(gpa, &.{ 1, base + 9, base + 9 }, .{ .remove_special = true, .unparse_special = false });
    defer gpa.free(txt2);
    try testing.expectEqualStrings(" hello hello", txt2);
    const txt3 = try tok.decode(gpa, &.{ base + 9, 2 }, .{ .unparse_special = false });
    defer gpa.free(txt3);
    try testing.expectEqualStrings("hello", txt3);
}

test "bad configurations are errors" {
    const toks = [_][]const u8{ "a", "b" };
    try testing.expectError(error.UnsupportedTokenizer, Tokenizer.init(testing.allocator, .{ .kind = .gpt2, .tokens = &toks }));
    try testing.expectError(error.UnsupportedTokenizer, Tokenizer.init(testing.allocator, .{ .kind = .gpt2, .tokens = &toks, .pre = "default", .merges = &.{} }));
    try testing.expectError(error.BadMerges, Tokenizer.init(testing.allocator, .{ .kind = .gpt2, .tokens = &toks, .pre = "llama3" }));
    try testing.expectError(error.BadTokenId, Tokenizer.init(testing.allocator, .{ .tokens = &toks, .bos = 5 }));
    const sc = [_]f32{0};
    try testing.expectError(error.LengthMismatch, Tokenizer.init(testing.allocator, .{ .tokens = &toks, .scores = &sc }));
}

test "stream decoder never splits a character" {
    const gpa = testing.allocator;
    var out: std.ArrayList(u8) = .empty;
    defer out.deinit(gpa);
    var d: StreamDecoder = .{};
    const smile = "\u{1F600}"; // F0 9F 98 80
    try d.push(gpa, &out, smile[0..1]);
    try testing.expectEqual(@as(usize, 0), out.items.len);
    try d.push(gpa, &out, smile[1..3]);
    try testing.expectEqual(@as(usize, 0), out.items.len);
    try d.push(gpa, &out, smile[3..]);
    try testing.expectEqualStrings(smile, out.items);
    out.clearRetainingCapacity();
    // A lead byte followed by ASCII: the lead byte becomes U+FFFD and the ASCII survives.
    try d.push(gpa, &out, "\xE4a");
    try testing.expectEqualStrings("\u{FFFD}a", out.items);
    out.clearRetainingCapacity();
    try d.push(gpa, &out, "\xE4\xB8");
    try d.finish(gpa, &out);
    try testing.expectEqualStrings("\u{FFFD}", out.items);
    out.clearRetainingCapacity();
    try d.push(gpa, &out, "\x80\xFFok");
    try testing.expectEqualStrings("\u{FFFD}\u{FFFD}ok", out.items);
    try testing.expect(std.unicode.utf8ValidateSlice(out.items));
}

test "pre-tokenizers split words like llama.cpp's" {
    const gpa = testing.allocator;
    const text = "Hello world's 2024!\n\n  x";
    var cpts: std.ArrayList(u32) = .empty;
    defer cpts.deinit(gpa);
    var i: usize = 0;
    while (i < text.len) {
        const d = decodeCp(text, i);
        try cpts.append(gpa, d.cp);
        i += d.len;
    }
    const cases = [_]struct { Pre, []const usize }{
        .{ .llama3, &.{ 5, 6, 2, 1, 3, 1, 3, 1, 2 } },
        .{ .qwen2, &.{ 5, 6, 2, 1, 1, 1, 1, 1, 3, 1, 2 } },
        .{ .gpt2, &.{ 5, 6, 2, 5, 1, 3, 2 } },
    };
    for (cases) |c| {
        var lens: std.ArrayList(usize) = .empty;
        defer lens.deinit(gpa);
        try splitWords(c[0], gpa, cpts.items, &lens);
        try testing.expectEqualSlices(usize, c[1], lens.items);
    }
}

test "byte-level BPE merges by rank and decodes bytes" {
    const gpa = testing.allocator;
    // 256 byte symbols, then "he", "ll", "hell", "Ġh" (Ġ = byte-encoded space)
    var tokens: [262][]const u8 = undefined;
    var names: [256][4]u8 = undefined;
    for (0..256) |b| {
        const n = encodeCp(byteToCp(@intCast(b)), &names[b]);
        tokens[b] = names[b][0..n];
    }
    tokens[256] = "he";
    tokens[257] = "ll";
    tokens[258] = "hell";
    tokens[259] = "\u{120}h";
    tokens[260] = "<|bos|>";
    tokens[261] = "\u{120}hell";
    var types: [262]i32 = @splat(1);
    types[260] = 3;
    const merges = [_][]const u8{ "l l", "h e", "he ll", "\u{120} h", "\u{120}h ell", "\u{120}h ll" };
    var tok = try Tokenizer.init(gpa, .{ .kind = .gpt2, .pre = "gpt-2", .tokens = &tokens, .types = &types, .merges = &merges, .bos = 260, .add_bos = true });
    defer tok.deinit();
    const ids = try tok.encode(gpa, "hello hello", true, true);
    defer gpa.free(ids);
    // ranks: "l l" < "h e" < "he ll" < "Ġ h": in " hello" the h joins "he" first, so
    // "Ġ h" goes stale and the space stays alone: Ġ, hell, o
    try testing.expectEqualSlices(u32, &.{ 260, 258, 'o', ' ', 258, 'o' }, ids);
    const txt = try tok.decode(gpa, ids, .{ .unparse_special = false });
    defer gpa.free(txt);
    try testing.expectEqualStrings("hello hello", txt);
    // clean_spaces: " ," loses its space
    const ids2 = try tok.encode(gpa, "he ,", false, false);
    defer gpa.free(ids2);
    const txt2 = try tok.decode(gpa, ids2, .{});
    defer gpa.free(txt2);
    try testing.expectEqualStrings("he,", txt2);
}
