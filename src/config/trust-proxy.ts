// The TRUST_PROXY setting: is there a reverse proxy of ours in front, whose X-Forwarded-Proto,
// X-Forwarded-Host and X-Forwarded-For headers we may believe? (See http/request-origin.ts and
// http/client-address.ts for what they are used for.)
// Pitfall prevented: trusting those headers on a server clients reach directly lets anyone claim to be
// on HTTPS or to come from any address (and so dodge a per-address login throttle).
// "1"/"true" → true; unset, "", "0"/"false" → false; anything else is a TypeError at start-up.

export function readTrustProxySetting(value: string | undefined): boolean {
  const normalized = (value ?? "").trim().toLowerCase();
  if (normalized === "1" || normalized === "true") return true;
  if (normalized === "" || normalized === "0" || normalized === "false") return false;
  throw new TypeError(`TRUST_PROXY is invalid: must be "1" (only behind your own reverse proxy) or "0"`);
}
