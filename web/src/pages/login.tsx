import { useState, type FormEvent } from 'react';
import { useAuth } from '../auth';
import { Link, navigate, useLocation } from '../router';
import { ErrorBox, useAction } from '../ui';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Only a path of this app: never an absolute URL an attacker put in `next`. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage({ mode }: { mode: 'login' | 'signup' }) {
  const { login, register } = useAuth();
  const { query } = useLocation();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (mode === 'signup' && name.trim().length === 0) return action.setError('Please enter your name.');
    if (!EMAIL.test(email)) return action.setError('Please enter a valid e-mail address.');
    if (mode === 'signup' && password.length < 8) return action.setError('The password needs at least 8 characters.');
    if (password.length === 0) return action.setError('Please enter your password.');
    void action.run(async () => {
      if (mode === 'signup') await register(name.trim(), email, password);
      else await login(email, password);
      navigate(safeNext(query.get('next')), { replace: true });
    });
  };

  return (
    <section className="narrow">
      <h1>{mode === 'signup' ? 'Sign up' : 'Log in'}</h1>
      <form onSubmit={submit} noValidate>
        {mode === 'signup' && (
          <label>
            Name
            <input name="name" autoComplete="name" value={name} maxLength={100} onChange={(event) => setName(event.target.value)} />
          </label>
        )}
        <label>
          E-mail
          <input name="email" type="email" autoComplete="email" value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete={mode === 'signup' ? 'new-password' : 'current-password'} value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        <ErrorBox>{action.error}</ErrorBox>
        <button type="submit" disabled={action.busy}>
          {mode === 'signup' ? 'Create account' : 'Log in'}
        </button>
      </form>
      <p>{mode === 'signup' ? <Link to="/login">I have an account</Link> : <Link to="/signup">Create an account</Link>}</p>
    </section>
  );
}
