// Unit tests of the shared helpers: error explanations, display formats, the theme.
import { describe, expect, it } from "vitest";
import { explain, fieldMessages } from "./errors";
import { toAppError } from "../ipc";
import { dueIn, elapsed, percent, plural } from "./format";
import { applyTheme, loadTheme } from "./theme";

describe("errors", () => {
  it("explains every code with a title and a next step", () => {
    expect(explain({ code: "forbidden" }).hint).toMatch(/reviewer|admin/);
    expect(explain({ code: "notPulled" }).title).toMatch(/pulled/);
  });
  it("speaks of highlighted fields only when the refusal names a field", () => {
    expect(explain({ code: "invalid", fields: [{ field: "name", message: "give it a name" }] }).hint).toMatch(/highlighted fields/);
    expect(explain({ code: "invalid", fields: [] }).hint).not.toMatch(/field/);
    expect(explain({ code: "invalid" }).hint).not.toMatch(/field/);
  });
  it("shows a rejection that is no AppError (arguments Tauri could not decode) as an internal error", () => {
    const e = toAppError("invalid args `campaignId` for command `campaign`: missing field `campaignId`");
    expect(e.code).toBe("internal");
    expect(e.fields).toEqual([]);
    expect(explain(e).title).toMatch(/Recert failed/);
    expect(explain(e).hint).not.toMatch(/highlighted|correct/i);
    expect(toAppError({ code: "conflict", message: "closed" }).code).toBe("conflict");
  });
  it("collects per-field messages, joining repeats", () => {
    const messages = fieldMessages({
      code: "invalid",
      message: "",
      fields: [
        { field: "name", message: "give the campaign a name" },
        { field: "schedule.durationDays", message: "too long" },
        { field: "schedule.durationDays", message: "overlaps" },
      ],
    });
    expect(messages).toEqual({ name: "give the campaign a name", "schedule.durationDays": "too long; overlaps" });
    expect(fieldMessages(null)).toEqual({});
  });
});

describe("format", () => {
  const now = new Date("2026-03-10T12:00:00Z");
  it("says when something is due or how late it is", () => {
    expect(dueIn("2026-03-13T13:00:00Z", now)).toBe("due in 3 days");
    expect(dueIn("2026-03-10T18:00:00Z", now)).toBe("due today");
    expect(dueIn("2026-03-08T11:00:00Z", now)).toBe("2 days overdue");
  });
  it("computes the share of a window that has passed", () => {
    expect(elapsed("2026-03-01T12:00:00Z", "2026-03-19T12:00:00Z", now)).toBeCloseTo(0.5);
    expect(elapsed("2026-03-11T00:00:00Z", "2026-03-19T00:00:00Z", now)).toBe(0);
  });
  it("rounds percentages and pluralises", () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(1, 0)).toBe(0);
    expect(plural(1, "item")).toBe("1 item");
    expect(plural(2, "item")).toBe("2 items");
  });
});

describe("theme", () => {
  it("follows the system unless light or dark is saved", () => {
    expect(loadTheme({ getItem: () => null })).toBe("system");
    expect(loadTheme({ getItem: () => "dark" })).toBe("dark");
    expect(loadTheme({ getItem: () => "purple" })).toBe("system");
    const root = document.createElement("html");
    applyTheme("dark", root);
    expect(root.dataset.theme).toBe("dark");
    applyTheme("system", root);
    expect(root.dataset.theme).toBeUndefined();
  });
});
