// The API client and the access-token banner. The banner opens on a 401, not at load: a gateway
// without auth never asks, and the static files are served without a token.

import { Api } from "./api.ts";
import { byId } from "./dom.ts";

// Reading sessionStorage throws where storage is blocked (opaque origins, cookies disabled);
// the token then lasts only as long as the page.
function sessionStore(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

/** `onTokenChange` runs after the user enters or forgets a token, so the page can fetch again. */
export function connectApi(onTokenChange: () => void): Api {
  const auth = byId<HTMLFormElement>("auth");
  const tokenInput = byId<HTMLInputElement>("token-input");

  const api = new Api({
    base: new URL(".", document.baseURI).toString(),
    storage: sessionStore(),
    onUnauthorized: (failure) => showAuth(failure.message),
  });

  /** The token the banner last asked about: a dismissed banner stays closed until the token changes. */
  let promptedFor: string | null | undefined;

  function showAuth(reason?: string, auto = true): void {
    if (auto && auth.hidden && promptedFor === api.token) return;
    promptedFor = api.token;
    byId("auth-message").textContent = api.token
      ? `The gateway refused the access token${reason ? ` (${reason})` : ""}. Enter another one.`
      : `The gateway asks for an access token${reason ? ` (${reason})` : ""}.`;
    if (auth.hidden) {
      auth.hidden = false;
      tokenInput.focus();
    }
  }

  auth.addEventListener("submit", (e) => {
    e.preventDefault();
    const token = tokenInput.value.trim();
    if (!token) return;
    api.token = token;
    tokenInput.value = "";
    auth.hidden = true;
    onTokenChange();
  });
  byId("auth-close").addEventListener("click", () => {
    auth.hidden = true;
  });
  byId("token-clear").addEventListener("click", () => {
    api.token = null;
    auth.hidden = true;
    onTokenChange();
  });
  byId("token-button").addEventListener("click", () => {
    if (auth.hidden) showAuth(undefined, false);
    else auth.hidden = true;
  });

  return api;
}
