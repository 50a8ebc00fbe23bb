import { describe, expect, it } from 'vitest';
import { withSplicedId } from '../src/proxy/jsonrpc.js';

describe('withSplicedId (forwarding a message as received, with only its id changed)', () => {
  it('splices a number or string id written first (after jsonrpc) or last', () => {
    expect(withSplicedId('{"result":{"id":7},"jsonrpc":"2.0","id":7}', 7, 'a"b')).toBe('{"result":{"id":7},"jsonrpc":"2.0","id":"a\\"b"}');
    expect(withSplicedId('{"method":"tools/call","params":{},"jsonrpc":"2.0","id":"x-1"}', 'x-1', 42)).toBe('{"method":"tools/call","params":{},"jsonrpc":"2.0","id":42}');
    expect(withSplicedId('{"id":3}', 3, 4)).toBe('{"id":4}');
    expect(withSplicedId('{"jsonrpc":"2.0","id":12,"result":{"id":12}}', 12, 'c')).toBe('{"jsonrpc":"2.0","id":"c","result":{"id":12}}');
    expect(withSplicedId('{"id":"q","method":"tools/call","jsonrpc":"2.0"}', 'q', 5)).toBe('{"id":5,"method":"tools/call","jsonrpc":"2.0"}');
  });

  it('declines (the caller serializes) when the id is not written compactly first or last', () => {
    expect(withSplicedId('{"result":{},"id":7,"jsonrpc":"2.0"}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","id":71,"result":{}}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc": "2.0","id":7,"result":{}}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","result":{},"id": 7}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","result":{},"id":7} ', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","result":{},"id":17}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","result":{},"id":"7"}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","result":{"x":"\\"id\\":7}"},"xid":7}', 7, 1)).toBeUndefined();
    expect(withSplicedId('{"jsonrpc":"2.0","result":{"a":{"id":7}}}', 7, 1)).toBeUndefined();
  });
});
