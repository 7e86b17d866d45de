import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Email, eventDataSchemas } from '@oip/contracts';
import { EntityId, exceedsDepth, isSafeText, safeText } from '../src/validation/input-rules';

describe('input rules', () => {
  it('When text has NUL, other control characters or a lone surrogate, then it is not safe; tab, newlines and surrogate pairs are', () => {
    for (const bad of ['a\u0000b', 'a\u0007', '\u007f', 'a\ud800', '\udc00b', 'x\ud83dy']) assert.equal(isSafeText(bad), false, JSON.stringify(bad));
    for (const good of ['', 'plain', 'tab\there', 'lines\r\nmore', 'mug 😀', 'Zoë — 北京']) assert.equal(isSafeText(good), true, JSON.stringify(good));
    assert.equal(safeText().trim().min(1).safeParse(' a\ud800 ').success, false);
    assert.equal(safeText().trim().min(1).parse(' ok '), 'ok');
  });

  it('When an id has anything but letters, digits, "_" and "-", or is longer than 64, then it is refused', () => {
    for (const bad of ['', '$where', '{"$ne":1}', 'a b', 'a\u0000', 'x'.repeat(65)]) assert.equal(EntityId.safeParse(bad).success, false, bad);
    for (const good of ['6650c0ffee0000000000beef', '9300381e-f2bb-41b8-af6e-88e65e0fe665', 'x'.repeat(64)]) assert.equal(EntityId.safeParse(good).success, true, good);
  });

  it('When an address is refused at the edge, then the event contract refuses it too, and the other way round', () => {
    const cases = ['ann@example.com', "o'brien+tag@mail.example.org", 'a}b@example.com', 'a\ud800@example.com', `${'a'.repeat(65)}@example.com`, 'a@b-.example.com', 'no-at-sign', 'a@localhost'];
    for (const email of cases) {
      const event = eventDataSchemas.user_registered.safeParse({ userId: 'u1', email, name: 'Ann' }).success;
      assert.equal(Email.safeParse(email).success, event, email);
    }
    assert.equal(Email.safeParse('ann@example.com').success, true);
    assert.equal(Email.safeParse('a}b@example.com').success, false);
  });

  it('When JSON nests deeper than the limit, then it is found without recursion, at any depth', () => {
    const nest = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
      return value;
    };
    assert.equal(exceedsDepth(nest(32), 32), false);
    assert.equal(exceedsDepth(nest(33), 32), true);
    assert.equal(exceedsDepth(nest(100_000), 32), true);
    assert.equal(exceedsDepth('text', 0), false);
  });
});
