//! Chat templates: turns a list of messages into the prompt text a chat model expects,
//! with the same output as llama.cpp's built-in templates of the same name.
//!
//! API:
//!
//!   const kind = Template.detect(gguf_chat_template_text) orelse Template.fromName("gemma") orelse ...;
//!   const prompt = try render(gpa, kind, &.{
//!       .{ .role = "system", .content = "Be brief." },
//!       .{ .role = "user", .content = "Hi" },
//!   }, true); // true: end with the assistant's turn header
//!   defer gpa.free(prompt);
//!   const stop = kind.endOfTurn(); // text that ends an assistant turn, e.g. "<end_of_turn>"
//!
//! The rendered text contains special tokens as text ("<start_of_turn>"); tokenise it
//! with parse_special = true. No template adds BOS: the tokenizer does.

const std = @import("std");
const Allocator = std.mem.Allocator;

pub const Template = enum {
    gemma,
    /// [INST] ... [/INST] without a system block (system text is prepended to the turn).
    llama2,
    /// llama2 with <<SYS>> blocks.
    llama2_sys,
    /// llama2 with <<SYS>> and "<s>" before every later [INST].
    llama2_sys_bos,
    /// llama2 with <<SYS>> and stripped message text.
    llama2_sys_strip,
    llama3,
    chatml,

    /// By name: "gemma", "llama2", "llama-2", "llama3", "llama-3", "chatml" (and the
    /// llama2 variant names "llama2-sys", "llama2-sys-bos", "llama2-sys-strip").
    pub fn fromName(text: []const u8) ?Template {
        const names = [_]struct { []const u8, Template }{
            .{ "gemma", .gemma },                       .{ "gemma3", .gemma },
            .{ "llama2", .llama2 },                     .{ "llama-2", .llama2 },
            .{ "llama2-sys", .llama2_sys },             .{ "llama2-sys-bos", .llama2_sys_bos },
            .{ "llama2-sys-strip", .llama2_sys_strip }, .{ "llama3", .llama3 },
            .{ "llama-3", .llama3 },                    .{ "chatml", .chatml },
        };
        for (names) |n| if (std.mem.eql(u8, n[0], text)) return n[1];
        return null;
    }

    /// From a Jinja `tokenizer.chat_template`, by its marker strings (as llama.cpp does);
    /// null when it is none of the supported families.
    pub fn detect(tmpl: []const u8) ?Template {
        const has = struct {
            fn f(h: []const u8, n: []const u8) bool {
                return std.mem.indexOf(u8, h, n) != null;
            }
        }.f;
        if (has(tmpl, "<|im_start|>")) {
            if (has(tmpl, "<|im_sep|>") or has(tmpl, "<end_of_utterance>")) return null;
            return .chatml;
        }
        if (std.mem.startsWith(u8, tmpl, "mistral") or has(tmpl, "[INST]")) {
            if (has(tmpl, "[SYSTEM_PROMPT]") or has(tmpl, "' [INST] ' + system_message") or has(tmpl, "[AVAILABLE_TOOLS]")) return null;
            if (has(tmpl, "content.strip()")) return .llama2_sys_strip;
            if (has(tmpl, "bos_token + '[INST]")) return .llama2_sys_bos;
            if (has(tmpl, "<<SYS>>")) return .llama2_sys;
            return .llama2;
        }
        if (has(tmpl, "<start_of_turn>")) return .gemma;
        if (has(tmpl, "<|start_header_id|>") and has(tmpl, "<|end_header_id|>")) return .llama3;
        return null;
    }

    pub fn name(t: Template) []const u8 {
        return switch (t) {
            .gemma => "gemma",
            .llama2 => "llama2",
            .llama2_sys => "llama2-sys",
            .llama2_sys_bos => "llama2-sys-bos",
            .llama2_sys_strip => "llama2-sys-strip",
            .llama3 => "llama3",
            .chatml => "chatml",
        };
    }

    /// The text that closes an assistant turn (a stop sequence for generation).
    pub fn endOfTurn(t: Template) []const u8 {
        return switch (t) {
            .gemma => "<end_of_turn>",
            .llama2, .llama2_sys, .llama2_sys_bos, .llama2_sys_strip => "</s>",
            .llama3 => "<|eot_id|>",
            .chatml => "<|im_end|>",
        };
    }
};

pub const Message = struct {
    /// "system", "user" or "assistant" (other roles pass through where the format allows).
    role: []const u8,
    content: []const u8,
};

fn trim(s: []const u8) []const u8 {
    return std.mem.trim(u8, s, " \t\n\r\x0b\x0c");
}

fn eq(a: []const u8, b: []const u8) bool {
    return std.mem.eql(u8, a, b);
}

/// Renders `messages` with template `t`; `add_assistant` appends the header of the
/// assistant's next turn. Caller frees the result.
pub fn render(gpa: Allocator, t: Template, messages: []const Message, add_assistant: bool) Allocator.Error![]u8 {
    var out: std.ArrayList(u8) = .empty;
    errdefer out.deinit(gpa);
    try renderInto(gpa, &out, t, messages, add_assistant);
    return out.toOwnedSlice(gpa);
}

pub fn renderInto(gpa: Allocator, out: *std.ArrayList(u8), t: Template, messages: []const Message, add_assistant: bool) Allocator.Error!void {
    const w = struct {
        fn all(g: Allocator, o: *std.ArrayList(u8), parts: []const []const u8) Allocator.Error!void {
            for (parts) |p| try o.appendSlice(g, p);
        }
    }.all;
    switch (t) {
        .chatml => {
            for (messages) |m| try w(gpa, out, &.{ "<|im_start|>", m.role, "\n", m.content, "<|im_end|>\n" });
            if (add_assistant) try out.appendSlice(gpa, "<|im_start|>assistant\n");
        },
        .llama3 => {
            for (messages) |m| try w(gpa, out, &.{ "<|start_header_id|>", m.role, "<|end_header_id|>\n\n", trim(m.content), "<|eot_id|>" });
            if (add_assistant) try out.appendSlice(gpa, "<|start_header_id|>assistant<|end_header_id|>\n\n");
        },
        .gemma => {
            // Gemma has no system role: system text opens the next user turn.
            var system: std.ArrayList(u8) = .empty;
            defer system.deinit(gpa);
            for (messages) |m| {
                if (eq(m.role, "system")) {
                    try system.appendSlice(gpa, trim(m.content));
                    continue;
                }
                const role = if (eq(m.role, "assistant")) "model" else m.role;
                try w(gpa, out, &.{ "<start_of_turn>", role, "\n" });
                if (system.items.len > 0 and !eq(role, "model")) {
                    try w(gpa, out, &.{ system.items, "\n\n" });
                    system.clearRetainingCapacity();
                }
                try w(gpa, out, &.{ trim(m.content), "<end_of_turn>\n" });
            }
            if (add_assistant) try out.appendSlice(gpa, "<start_of_turn>model\n");
        },
        .llama2, .llama2_sys, .llama2_sys_bos, .llama2_sys_strip => {
            const sys_block = t != .llama2;
            const bos_inside = t == .llama2_sys_bos;
            const strip = t == .llama2_sys_strip;
            var inside = true; // the first [INST] needs no BOS: the tokenizer adds it
            try out.appendSlice(gpa, "[INST] ");
            for (messages) |m| {
                const content = if (strip) trim(m.content) else m.content;
                if (!inside) {
                    inside = true;
                    try out.appendSlice(gpa, if (bos_inside) "<s>[INST] " else "[INST] ");
                }
                if (eq(m.role, "system")) {
                    if (sys_block) {
                        try w(gpa, out, &.{ "<<SYS>>\n", content, "\n<</SYS>>\n\n" });
                    } else {
                        try w(gpa, out, &.{ content, "\n" });
                    }
                } else if (eq(m.role, "user")) {
                    try w(gpa, out, &.{ content, " [/INST]" });
                } else {
                    try w(gpa, out, &.{ content, "</s>" });
                    inside = false;
                }
            }
            // llama2 prompts end with " [/INST]": the assistant's turn needs no header.
        },
    }
}

// ---------------------------------------------------------------------------------------
// Tests

const testing = std.testing;

const convo = [_]Message{
    .{ .role = "system", .content = "You are terse. " },
    .{ .role = "user", .content = " Hello" },
    .{ .role = "assistant", .content = "Hi there" },
    .{ .role = "user", .content = "Who are you" },
};

fn expectRender(t: Template, add: bool, want: []const u8) !void {
    const got = try render(testing.allocator, t, &convo, add);
    defer testing.allocator.free(got);
    try testing.expectEqualStrings(want, got);
}

test "gemma merges the system prompt into the first user turn" {
    try expectRender(.gemma, true, "<start_of_turn>user\nYou are terse.\n\nHello<end_of_turn>\n" ++
        "<start_of_turn>model\nHi there<end_of_turn>\n" ++
        "<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\n");
}

test "chatml and llama3" {
    try expectRender(.chatml, true, "<|im_start|>system\nYou are terse. <|im_end|>\n<|im_start|>user\n Hello<|im_end|>\n" ++
        "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n");
    try expectRender(.llama3, false, "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" ++
        "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>" ++
        "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>" ++
        "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>");
}

test "llama2 variants" {
    try expectRender(.llama2_sys, true, "[INST] <<SYS>>\nYou are terse. \n<</SYS>>\n\n Hello [/INST]Hi there</s>[INST] Who are you [/INST]");
    try expectRender(.llama2, true, "[INST] You are terse. \n Hello [/INST]Hi there</s>[INST] Who are you [/INST]");
    try expectRender(.llama2_sys_bos, true, "[INST] <<SYS>>\nYou are terse. \n<</SYS>>\n\n Hello [/INST]Hi there</s><s>[INST] Who are you [/INST]");
    try expectRender(.llama2_sys_strip, true, "[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]");
}

test "detection from Jinja text and names" {
    try testing.expectEqual(Template.chatml, Template.detect("{% for m in messages %}<|im_start|>{{ m.role }}").?);
    try testing.expectEqual(Template.gemma, Template.detect("{{ '<start_of_turn>' + role + '\\n' }}").?);
    try testing.expectEqual(Template.llama3, Template.detect("<|start_header_id|>' + m['role'] + '<|end_header_id|>").?);
    try testing.expectEqual(Template.llama2_sys, Template.detect("[INST] <<SYS>>\\n' + system").?);
    try testing.expectEqual(Template.llama2, Template.detect("{{ '[INST] ' + content + ' [/INST]' }}").?);
    try testing.expectEqual(@as(?Template, null), Template.detect("{{ messages }}"));
    try testing.expectEqual(Template.llama3, Template.fromName("llama-3").?);
    try testing.expectEqual(@as(?Template, null), Template.fromName("vicuna"));
    for (std.enums.values(Template)) |t| try testing.expectEqual(t, Template.fromName(t.name()).?);
}
