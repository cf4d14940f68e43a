/**
 * The page the relay serves at `http://127.0.0.1:PORT/`, the way `@statelyai/inspect/server`
 * does it: it frames Stately's hosted inspector (https://stately.ai/inspect), connects to the
 * relay's viewer socket on the same host and port, and posts each inspection message into the
 * frame once the inspector says `@statelyai.connected` (messages before that are buffered).
 * No data is in the page itself; a Content-Security-Policy limits it to the frame and the socket.
 */

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

export function bridgePage(): string {
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>mailtrail — Stately Inspector</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; }
    iframe { width: 100%; height: 100%; border: none; }
    #status { position: fixed; bottom: 4px; right: 8px; font: 12px sans-serif; color: #888; }
  </style>
</head>
<body>
  <iframe id="inspector" src="${STATELY_INSPECTOR_URL}"></iframe>
  <div id="status">connecting to mailtrail…</div>
  <script>
    const frame = document.getElementById('inspector');
    const status = document.getElementById('status');
    const buffer = [];
    let connected = false;
    window.addEventListener('message', (e) => {
      if (e.source !== frame.contentWindow || !e.data || e.data.type !== '@statelyai.connected') return;
      connected = true;
      for (const data of buffer.splice(0)) frame.contentWindow.postMessage(data, '*');
    });
    function connect() {
      const ws = new WebSocket('ws://' + location.host + '/');
      ws.onopen = () => { status.textContent = 'mailtrail: connected'; };
      ws.onmessage = (event) => {
        const data = JSON.parse(event.data);
        if (connected) frame.contentWindow.postMessage(data, '*');
        else buffer.push(data);
      };
      ws.onclose = () => { status.textContent = 'mailtrail: disconnected, retrying…'; setTimeout(connect, 2000); };
    }
    connect();
  </script>
</body>
</html>`;
}

/** Only the frame and the relay's own socket; inline script and style are the page's own. */
export function bridgePolicy(port: number): string {
  const sockets = [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`].join(' ');
  return `default-src 'none'; frame-src https://stately.ai; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src ${sockets}`;
}
