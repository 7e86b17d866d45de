import { useSyncExternalStore } from 'react';

/** The cart lives in the browser (localStorage): nothing about it reaches a server before checkout. */
export interface CartLine {
  productId: string;
  name: string;
  price: string;
  currency: string;
  quantity: number;
}

const KEY = 'oip.cart';
const listeners = new Set<() => void>();
let snapshot: CartLine[] = read();

function read(): CartLine[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as CartLine[]) : [];
  } catch {
    return [];
  }
}

function write(lines: CartLine[]): void {
  snapshot = lines;
  localStorage.setItem(KEY, JSON.stringify(lines));
  for (const listener of listeners) listener();
}

export const cart = {
  add(line: Omit<CartLine, 'quantity'>, quantity = 1): void {
    const existing = snapshot.find((candidate) => candidate.productId === line.productId);
    write(existing ? snapshot.map((candidate) => (candidate === existing ? { ...candidate, quantity: candidate.quantity + quantity } : candidate)) : [...snapshot, { ...line, quantity }]);
  },
  setQuantity(productId: string, quantity: number): void {
    write(quantity <= 0 ? snapshot.filter((line) => line.productId !== productId) : snapshot.map((line) => (line.productId === productId ? { ...line, quantity } : line)));
  },
  clear(): void {
    write([]);
  },
};

export function useCart(): CartLine[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => snapshot,
  );
}
