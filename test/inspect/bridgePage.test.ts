/**
 * The inspector page says plainly, when the hosted inspector cannot load, what to do instead
 * (issue 10, point 10). The page as the real relay serves it names the alternatives; its script
 * shows them after the timeout unless Stately's frame said `@statelyai.connected`, and hides
 * them when it does. No browser runs here (no Chromium, no internet): the script runs in
 * node:vm against a STAND-IN for the few DOM objects it touches (document, window, WebSocket,
 * timers), named as such; what is tested is the page's own logic.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { runInNewContext } from 'node:vm';
import { bridgePage, INSPECTOR_LOAD_TIMEOUT_MS, OFFLINE_HEADLINE } from '../../src/inspect/bridgePage.js';
import { InspectorRelay, type RelayAddress } from '../../src/inspect/inspectorRelay.js';

function get(port: number): Promise<{ body: string; csp: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ body, csp: res.headers['content-security-policy'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** STAND-IN browser: the elements by id, a message listener, timers the test fires, a WebSocket that never opens. */
function standInBrowser(html: string) {
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
  assert.ok(script, 'the page has its inline script');
  const elements = new Map<
    string,
    { id: string; style: { display: string }; textContent: string; contentWindow?: object }
  >();
  for (const m of html.matchAll(/id="([^"]+)"/g))
    elements.set(m[1]!, { id: m[1]!, style: { display: '' }, textContent: '' });
  const frameWindow = {
    posted: [] as unknown[],
    postMessage(data: unknown) {
      this.posted.push(data);
    },
  };
  elements.get('inspector')!.contentWindow = frameWindow;
  const ports = [...html.matchAll(/class="port"/g)].map(() => ({ textContent: 'PORT' }));
  const timers: { fn: () => void; at: number; id: number }[] = [];
  let now = 0;
  let listener: ((e: { source: unknown; data: unknown }) => void) | undefined;
  const context = {
    document: { getElementById: (id: string) => elements.get(id) ?? null, querySelectorAll: () => ports },
    window: {
      addEventListener: (type: string, fn: typeof listener) => {
        if (type === 'message') listener = fn;
      },
    },
    location: { host: '127.0.0.1:8080', port: '8080' },
    setTimeout: (fn: () => void, ms: number) => {
      const id = timers.length + 1;
      timers.push({ fn, at: now + ms, id });
      return id;
    },
    clearTimeout: (id: number) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    WebSocket: class {
      onopen?: () => void;
      onmessage?: () => void;
      onclose?: () => void;
      constructor(readonly url: string) {}
    },
    JSON,
  };
  runInNewContext(script, context);
  return {
    offline: elements.get('offline')!,
    ports,
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
    inspectorSays(type: string) {
      listener?.({ source: frameWindow, data: { type } });
    },
  };
}

describe('the inspector page when stately.ai cannot load', () => {
  const relay = new InspectorRelay({ port: 0 });
  let address: RelayAddress;
  before(async () => {
    address = await relay.start();
  });
  after(() => relay.stop());

  it('is served with the plain-words fallback and what to use instead', async () => {
    const { body, csp } = await get(address.port);
    assert.ok(body.includes(OFFLINE_HEADLINE));
    assert.match(body, /This browser probably cannot reach\s+stately\.ai/);
    for (const alternative of [
      'mailtrail machines export --format svg',
      'mailtrail history ID --diagram --format svg',
      'mailtrail tail -f',
      'ssh -L',
    ]) {
      assert.ok(body.includes(alternative), `the page names ${alternative}`);
    }
    assert.match(csp ?? '', /script-src 'unsafe-inline'/);
  });

  it('shows the fallback once the timeout passes without the inspector', () => {
    const page = standInBrowser(bridgePage());
    assert.equal(
      page.ports.every((p) => p.textContent === '8080'),
      true,
      'the ssh hint names the real port',
    );
    page.advance(INSPECTOR_LOAD_TIMEOUT_MS - 1);
    assert.notEqual(page.offline.style.display, 'block', 'not before the timeout');
    page.advance(1);
    assert.equal(page.offline.style.display, 'block');
    page.inspectorSays('@statelyai.connected');
    assert.equal(page.offline.style.display, 'none', 'a late inspector hides it again');
  });

  it('never shows it when the inspector connects in time', () => {
    const page = standInBrowser(bridgePage());
    page.advance(1000);
    page.inspectorSays('something else');
    page.inspectorSays('@statelyai.connected');
    page.advance(10 * INSPECTOR_LOAD_TIMEOUT_MS);
    assert.notEqual(page.offline.style.display, 'block');
  });
});
