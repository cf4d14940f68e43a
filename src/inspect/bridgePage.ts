/**
 * The page the relay serves at `http://127.0.0.1:PORT/`, the way `@statelyai/inspect/server`
 * does it: it frames Stately's hosted inspector (https://stately.ai/inspect), connects to the
 * relay's viewer socket on the same host and port, and posts each inspection message into the
 * frame once the inspector says `@statelyai.connected` (messages before that are buffered).
 * No data is in the page itself; a Content-Security-Policy limits it to the frame and the socket.
 * When the hosted inspector has not said it is connected within INSPECTOR_LOAD_TIMEOUT_MS (no
 * internet on this machine, stately.ai blocked), the page says so plainly and names what to use
 * instead: the diagrams and histories the `mailtrail` command prints.
 */

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/** How long the page waits for the hosted inspector before it says it could not load. */
export const INSPECTOR_LOAD_TIMEOUT_MS = 15_000;

/** What the page says when the hosted inspector does not load (also shown by the tests). */
export const OFFLINE_HEADLINE = "Stately's inspector did not load";

export function bridgePage(options: { loadTimeoutMs?: number } = {}): string {
  const timeoutMs = options.loadTimeoutMs ?? INSPECTOR_LOAD_TIMEOUT_MS;
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
    #offline { display: none; position: fixed; inset: 0; padding: 2em 3em; background: #fff; font: 15px/1.5 sans-serif; color: #222; overflow: auto; }
    #offline code { background: #f3f3f3; padding: 0 .3em; }
    #offline h1 { font-size: 1.3em; margin-bottom: .6em; }
    #offline p, #offline ul { margin-bottom: .8em; }
    #offline li { margin-left: 1.5em; }
  </style>
</head>
<body>
  <iframe id="inspector" src="${STATELY_INSPECTOR_URL}"></iframe>
  <div id="status">connecting to mailtrail…</div>
  <div id="offline" role="alert">
    <h1>${OFFLINE_HEADLINE}</h1>
    <p>This page frames the hosted inspector at <code>${STATELY_INSPECTOR_URL}</code>, and it has not
    answered within ${timeoutMs / 1000} seconds. This browser probably cannot reach
    stately.ai (no internet access, a proxy or a firewall). The relay itself is working: <span id="relay-state">not connected yet</span>.</p>
    <p>What to do instead:</p>
    <ul>
      <li>Open this page in a browser that can reach stately.ai, with the port forwarded:
        <code>ssh -L <span class="port">PORT</span>:127.0.0.1:<span class="port">PORT</span> mail-host</code>, then
        <code>http://127.0.0.1:<span class="port">PORT</span>/</code>.</li>
      <li>Draw the machines without the inspector: <code>mailtrail machines export --format svg --out DIR</code>
        (or <code>--format mermaid</code>, no Graphviz needed).</li>
      <li>See the path one message or session took: <code>mailtrail history ID --diagram --format svg &gt; path.svg</code>,
        or its events: <code>mailtrail history ID</code>.</li>
      <li>Follow the events live: <code>mailtrail tail -f</code>.</li>
    </ul>
    <p>This message goes away by itself if the inspector loads after all.</p>
  </div>
  <script>
    const frame = document.getElementById('inspector');
    const status = document.getElementById('status');
    const offline = document.getElementById('offline');
    const relayState = document.getElementById('relay-state');
    for (const el of document.querySelectorAll('.port')) el.textContent = location.port || '80';
    const buffer = [];
    let connected = false;
    const offlineTimer = setTimeout(() => {
      if (!connected) offline.style.display = 'block';
    }, ${timeoutMs});
    window.addEventListener('message', (e) => {
      if (e.source !== frame.contentWindow || !e.data || e.data.type !== '@statelyai.connected') return;
      connected = true;
      clearTimeout(offlineTimer);
      offline.style.display = 'none';
      for (const data of buffer.splice(0)) frame.contentWindow.postMessage(data, '*');
    });
    function connect() {
      const ws = new WebSocket('ws://' + location.host + '/');
      ws.onopen = () => { status.textContent = 'mailtrail: connected'; relayState.textContent = 'connected to mailtrail on ' + location.host; };
      ws.onmessage = (event) => {
        const data = JSON.parse(event.data);
        if (connected) frame.contentWindow.postMessage(data, '*');
        else buffer.push(data);
      };
      ws.onclose = () => { status.textContent = 'mailtrail: disconnected, retrying…'; relayState.textContent = 'disconnected from mailtrail, retrying'; setTimeout(connect, 2000); };
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
