// The sign-off panel's wording: who signed which binder version, what is still missing, and
// when a fresh sign-in is needed first.
import { describe, expect, it } from "vitest";
import type { SignOffDto, SignOffStatusDto } from "../../ipc";
import { needsFreshSignIn, signOffRows, versionLine } from "./signoff";

const signed = (version: number, capacity: SignOffDto["capacity"]): SignOffDto => ({
  version,
  capacity,
  signerUpn: `${capacity}@contoso.example`,
  signerName: capacity,
  signerId: "oid",
  signedAt: "2026-04-02T10:00:00Z",
  authentication: {
    method: "signIn",
    authenticated: true,
    tenantId: "tid",
    objectId: "oid",
    at: "2026-04-02T09:58:00Z",
    importedBy: null,
    detail: "authenticated: interactive sign-in",
  },
  statement: "I confirm",
});

const status = (over: Partial<SignOffStatusDto>): SignOffStatusDto => ({
  campaignId: "c1",
  version: 1,
  signOffs: [],
  corrections: [],
  missing: ["campaignOwner", "compliance"],
  signable: true,
  statement: "I confirm",
  ...over,
});

describe("sign-off panel", () => {
  it("says what the version still lacks", () => {
    expect(versionLine(status({}))).toBe("Version 1 still needs: campaign owner and compliance");
    expect(versionLine(status({ missing: [] }))).toBe("Version 1 is signed off");
    expect(versionLine(status({ signable: false }))).toBe("Version 1: signed off once the campaign is closed");
  });

  it("lists the current version's sign-offs first and marks older ones superseded", () => {
    const rows = signOffRows(
      status({ version: 2, signOffs: [signed(1, "campaignOwner"), signed(2, "campaignOwner")], missing: ["compliance"] }),
    );
    expect(rows.map((r) => [r.row.version, r.superseded])).toEqual([
      [2, false],
      [1, true],
    ]);
  });

  it("asks for a sign-in only when the refusal is about freshness", () => {
    expect(needsFreshSignIn("freshSignInRequired")).toBe(true);
    expect(needsFreshSignIn("forbidden")).toBe(false);
  });
});
