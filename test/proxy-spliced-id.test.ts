import { describe, expect, it } from 'vitest';
import { withSplicedId } from '../src/proxy/jsonrpc.js';
import { compactAnswerId, compactToolCallId } from './helpers/compact-text-reference.js';

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

  it('compactAnswerId: the id of an answer to a proxy request, by its spelling alone', () => {
    expect(compactAnswerId('{"jsonrpc":"2.0","id":7,"result":{"content":[]}}')).toBe(7);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":123456,"error":{"code":-32601,"message":"x"}}')).toBe(123456);
    expect(compactAnswerId('{"result":{"content":[{"type":"text","text":"a,\\"id\\":9"}]},"jsonrpc":"2.0","id":42}')).toBe(42);
    expect(compactAnswerId('{"error":{"code":1,"message":"m"},"jsonrpc":"2.0","id":3}')).toBe(3);
  });

  it('compactAnswerId declines (-1: the line is parsed) requests, notifications, other ids and other spellings', () => {
    expect(compactAnswerId('{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage","params":{}}')).toBe(-1);
    expect(compactAnswerId('{"method":"roots/list","jsonrpc":"2.0","id":7}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","method":"notifications/progress","params":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":"7","result":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":0,"result":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":07,"result":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":-7,"result":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":7.5,"result":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":1234567890123456,"result":{}}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":7,"result":{"a":1')).toBe(-1);
    expect(compactAnswerId('{"id":7,"jsonrpc":"2.0","result":{}}')).toBe(-1);
    expect(compactAnswerId('{"result":{},"id":7,"jsonrpc":"2.0"}')).toBe(-1);
    expect(compactAnswerId('{"result":{},"jsonrpc":"2.0","id": 7}')).toBe(-1);
    expect(compactAnswerId('{"result":{},"jsonrpc":"2.0","id":"a:7"}')).toBe(-1);
    expect(compactAnswerId('{"jsonrpc":"2.0","id":7}')).toBe(-1);
    expect(compactAnswerId('[1,2]')).toBe(-1);
  });

  it('compactToolCallId: the integer id of a compactly written tools/call, else -1', () => {
    expect(compactToolCallId('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a"}}')).toBe(7);
    expect(compactToolCallId('{"method":"tools/call","params":{"name":"a"},"jsonrpc":"2.0","id":0}')).toBe(0);
    expect(compactToolCallId('{"jsonrpc":"2.0","id":"7","method":"tools/call","params":{}}')).toBe(-1);
    expect(compactToolCallId('{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}')).toBe(-1);
    expect(compactToolCallId('{"jsonrpc":"2.0","id":7,"method":"tools/call"}')).toBe(-1);
    expect(compactToolCallId('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":[]}')).toBe(-1);
    expect(compactToolCallId('{"method":"tools/call","params":{},"id":7,"jsonrpc":"2.0"}')).toBe(-1);
    expect(compactToolCallId('{"jsonrpc":"2.0","id":7,"result":{}}')).toBe(-1);
    expect(compactToolCallId('{"jsonrpc":"2.0","id":-1,"method":"tools/call","params":{}}')).toBe(-1);
  });
});
