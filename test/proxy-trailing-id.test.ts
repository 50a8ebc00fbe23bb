import { describe, expect, it } from 'vitest';
import { withTrailingId } from '../src/proxy/jsonrpc.js';

describe('withTrailingId (forwarding a message as received, with only its id changed)', () => {
  it('splices a number or string id that is the last member of the line', () => {
    expect(withTrailingId('{"result":{"id":7},"jsonrpc":"2.0","id":7}', 7, 'a"b')).toBe('{"result":{"id":7},"jsonrpc":"2.0","id":"a\\"b"}');
    expect(withTrailingId('{"method":"tools/call","params":{},"jsonrpc":"2.0","id":"x-1"}', 'x-1', 42)).toBe('{"method":"tools/call","params":{},"jsonrpc":"2.0","id":42}');
    expect(withTrailingId('{"id":3}', 3, 4)).toBe('{"id":4}');
  });

  it('declines (the caller serializes) when the id is not written last and compactly', () => {
    expect(withTrailingId('{"jsonrpc":"2.0","id":7,"result":{}}', 7, 1)).toBeUndefined();
    expect(withTrailingId('{"jsonrpc":"2.0","result":{},"id": 7}', 7, 1)).toBeUndefined();
    expect(withTrailingId('{"jsonrpc":"2.0","result":{},"id":7} ', 7, 1)).toBeUndefined();
    expect(withTrailingId('{"jsonrpc":"2.0","result":{},"id":17}', 7, 1)).toBeUndefined();
    expect(withTrailingId('{"jsonrpc":"2.0","result":{},"id":"7"}', 7, 1)).toBeUndefined();
    expect(withTrailingId('{"jsonrpc":"2.0","result":{"x":"\\"id\\":7}"},"xid":7}', 7, 1)).toBeUndefined();
    expect(withTrailingId('{"jsonrpc":"2.0","result":{"a":{"id":7}}}', 7, 1)).toBeUndefined();
  });
});
