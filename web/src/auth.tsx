import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { problemText, unwrap, users, type User } from './api/clients';
import { clearTokens, onSessionLost, refreshTokens, saveTokens, storedRefreshToken } from './api/session';
import { navigate } from './router';

interface Auth {
  /** undefined while a stored session is being resumed. */
  user: User | null | undefined;
  isAdmin: boolean;
  login: (email: string, password: string) => Promise<void>;
  register: (name: string, email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<Auth | undefined>(undefined);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

async function me(): Promise<User> {
  return unwrap(await users.GET('/users/me'));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(storedRefreshToken() ? undefined : null);

  useEffect(() => {
    // A reload keeps the refresh token only: a new access token comes from it.
    if (storedRefreshToken()) {
      void (async () => {
        if (await refreshTokens()) setUser(await me().catch(() => null));
        else {
          clearTokens();
          setUser(null);
        }
      })();
    }
    return onSessionLost(() => {
      setUser(null);
      if (!location.pathname.startsWith('/login')) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    });
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const answer = await users.POST('/auth/login', { body: { email, password } });
    if (!answer.data) throw new Error(problemText(answer.error, 'Could not log in'));
    saveTokens(answer.data);
    setUser(await me());
  }, []);

  const register = useCallback(
    async (name: string, email: string, password: string) => {
      const answer = await users.POST('/auth/register', { body: { name, email, password } });
      if (answer.error !== undefined) throw new Error(problemText(answer.error, 'Could not sign up'));
      await login(email, password);
    },
    [login],
  );

  const logout = useCallback(async () => {
    const refreshToken = storedRefreshToken();
    // Revoked at user-service, so the token is worthless even if it was copied.
    if (refreshToken) await users.POST('/auth/logout', { body: { refreshToken } }).catch(() => undefined);
    clearTokens();
    setUser(null);
    navigate('/');
  }, []);

  const value = useMemo(() => ({ user, isAdmin: user?.roles.includes('admin') ?? false, login, register, logout }), [user, login, register, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
