/**
 * For the raw stdio test servers that answer by hand (no SDK): calls `onLine(message, line)` for
 * every non-blank newline-delimited line read from stdin, the line parsed and as it came.
 */
export function onStdinLines(onLine) {
  let buffer = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) onLine(JSON.parse(line), line);
    }
  });
}
