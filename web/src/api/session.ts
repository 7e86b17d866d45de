/**
 * The tokens. The access token lives in this module's memory only: a reload or a new tab starts
 * without it and gets a fresh one from the refresh token. The refresh token is kept in
 * sessionStorage — per tab, gone when the tab closes, never in a URL, sent only in the body of
 * /auth/refresh and /auth/logout. An httpOnly cookie would keep it from scripts too, but would
 * need user-service to set cookies and the API to defend against CSRF; the strict CSP (scripts from
 * this origin only, nothing inline) is what keeps a foreign script from reading sessionStorage.
 */
const REFRESH_KEY = 'oip.refreshToken';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

let accessToken: string | undefined;
const listeners = new Set<() => void>();

export function currentAccessToken(): string | undefined {
  return accessToken;
}

export function storedRefreshToken(): string | undefined {
  return sessionStorage.getItem(REFRESH_KEY) ?? undefined;
}

export function saveTokens(pair: TokenPair): void {
  accessToken = pair.accessToken;
  sessionStorage.setItem(REFRESH_KEY, pair.refreshToken);
}

export function clearTokens(): void {
  accessToken = undefined;
  sessionStorage.removeItem(REFRESH_KEY);
  for (const listener of listeners) listener();
}

/** Called when the session ends without the user asking (a refresh refused): the app goes to login. */
export function onSessionLost(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let refreshing: Promise<boolean> | undefined;

/** Exchanges the refresh token for a new pair; concurrent callers share one exchange (tokens rotate). */
export function refreshTokens(): Promise<boolean> {
  refreshing ??= (async () => {
    const refreshToken = storedRefreshToken();
    if (!refreshToken) return false;
    try {
      const answer = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
      if (!answer.ok) return false;
      saveTokens((await answer.json()) as TokenPair);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/**
 * fetch with the access token. A 401 refreshes the tokens once and sends the request again; a
 * second 401 (or a refused refresh) ends the session, and the app shows the login page.
 */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const send = (request: Request): Promise<Response> => {
    if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
    return fetch(request);
  };
  const answer = await send(input);
  if (answer.status !== 401 || !storedRefreshToken()) return answer;
  if (!(await refreshTokens())) {
    clearTokens();
    return answer;
  }
  const again = await send(retry);
  if (again.status === 401) clearTokens();
  return again;
}
