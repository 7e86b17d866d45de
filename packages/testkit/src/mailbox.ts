import { testInfra, type TestInfra } from './infrastructure';
import { waitFor } from './wait';

/**
 * The SMTP catcher's mailbox, seen the same way whichever catcher the run uses: MailDev locally
 * (REST `GET /email`, `DELETE /email/all`) or Mailpit under Testcontainers and compose
 * (`GET /api/v1/search`, `GET /api/v1/message/{ID}`, `DELETE /api/v1/messages`).
 *
 * The mailbox is shared by every suite (and by other people's runs on the same machine): look
 * messages up by a recipient address your test made up, and do not `clear()` in shared runs.
 */
export interface MailMessage {
  id: string;
  subject: string;
  from: string[];
  to: string[];
  text: string;
  html: string;
  /** Message-ID header as received. */
  messageId?: string;
}

export interface Mailbox {
  /** Every message addressed to `address` (case-insensitive), oldest first. */
  messagesTo(address: string): Promise<MailMessage[]>;
  /** Waits until at least `count` messages reached `address`; answers all of them. */
  waitForMessages(address: string, options?: { count?: number; timeoutMs?: number }): Promise<MailMessage[]>;
  /** Deletes every message. */
  clear(): Promise<void>;
}

interface MailDevAddress {
  address: string;
  name?: string;
}
interface MailDevEmail {
  id: string;
  subject?: string;
  from?: MailDevAddress[];
  to?: MailDevAddress[];
  text?: string;
  html?: string;
  messageId?: string;
  date?: string;
}

interface MailpitAddress {
  Address: string;
  Name?: string;
}
interface MailpitSummary {
  ID: string;
  Created?: string;
}
interface MailpitMessage {
  ID: string;
  MessageID?: string;
  Subject?: string;
  From?: MailpitAddress;
  To?: MailpitAddress[];
  Text?: string;
  HTML?: string;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

async function send(method: string, url: string): Promise<void> {
  const response = await fetch(url, { method });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}`);
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function mailDev(apiUrl: string): Pick<Mailbox, 'messagesTo' | 'clear'> {
  return {
    async messagesTo(address) {
      const all = await getJson<MailDevEmail[]>(`${apiUrl}/email`);
      return all
        .filter((email) => (email.to ?? []).some((to) => same(to.address, address)))
        .map((email) => ({
          id: email.id,
          subject: email.subject ?? '',
          from: (email.from ?? []).map((from) => from.address),
          to: (email.to ?? []).map((to) => to.address),
          text: email.text ?? '',
          html: email.html ?? '',
          ...(email.messageId ? { messageId: email.messageId } : {}),
        }));
    },
    clear: () => send('DELETE', `${apiUrl}/email/all`),
  };
}

function mailpit(apiUrl: string): Pick<Mailbox, 'messagesTo' | 'clear'> {
  return {
    async messagesTo(address) {
      const query = encodeURIComponent(`to:"${address}"`);
      const found = await getJson<{ messages: MailpitSummary[] }>(`${apiUrl}/api/v1/search?query=${query}&limit=1000`);
      // Search answers newest first; the full message carries the bodies.
      const messages = await Promise.all([...found.messages].reverse().map((summary) => getJson<MailpitMessage>(`${apiUrl}/api/v1/message/${summary.ID}`)));
      return messages
        .filter((message) => (message.To ?? []).some((to) => same(to.Address, address)))
        .map((message) => ({
          id: message.ID,
          subject: message.Subject ?? '',
          from: message.From ? [message.From.Address] : [],
          to: (message.To ?? []).map((to) => to.Address),
          text: message.Text ?? '',
          html: message.HTML ?? '',
          ...(message.MessageID ? { messageId: message.MessageID } : {}),
        }));
    },
    clear: () => send('DELETE', `${apiUrl}/api/v1/messages`),
  };
}

export function mailbox(infra: Pick<TestInfra, 'smtp'> = testInfra()): Mailbox {
  const api = infra.smtp.api === 'mailpit' ? mailpit(infra.smtp.apiUrl) : mailDev(infra.smtp.apiUrl);
  return {
    ...api,
    waitForMessages: (address, options = {}) =>
      waitFor(async () => {
        const messages = await api.messagesTo(address);
        return messages.length >= (options.count ?? 1) ? messages : undefined;
      }, options.timeoutMs ?? 15_000),
  };
}

/**
 * Message-IDs that reached the catcher more than once, each as often as it is extra. The services
 * give every notification a stable Message-ID, so a repeat is the same e-mail sent twice.
 */
export function duplicateMessageIds(messages: MailMessage[]): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  for (const message of messages) {
    const id = message.messageId ?? `(no Message-ID: ${message.id})`;
    if (seen.has(id)) repeated.push(id);
    seen.add(id);
  }
  return repeated;
}
