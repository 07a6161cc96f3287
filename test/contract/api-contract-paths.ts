/**
 * The API contract's paths from the URL (percent-encoding, dot segments), private files, and the
 * volunteer endpoints (see api-contract.ts).
 */
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../helpers/raw-http'
import type { ContractContext } from './api-contract-context'

export function describeContractPaths(ctx: ContractContext): void {
  describe('paths from the URL', () => {
    const put = (path: string, body: string) => ctx.call(path, { method: 'PUT', body })

    it('deploys and invokes at what a percent-encoded user and path decode to', async () => {
      // %63 is "c": the user is contract-enc, wherever it is encoded.
      const deployed = await ctx.deploy('%63ontract-enc/h%65llo', {
        runtime: 'js',
        code: 'function handle(req) { return {body: "hi " + req.query.n} }',
      })
      expect(deployed).toMatchObject({
        user: 'contract-enc',
        path: '/hello',
        url: '/contract-enc/hello',
      })
      for (const at of ['/contract-enc/hello', '/%63ontract-enc/hello', '/contract-enc/h%65llo']) {
        const res = await ctx.call(`${at}?n=1`)
        expect(res.status, at).toBe(200)
        expect(await res.text(), at).toBe('hi 1')
      }
      expect((await ctx.client.get('/api/deploy/contract-%65nc/hello')).body).toMatchObject({
        user: 'contract-enc',
        path: '/hello',
      })
      expect((await ctx.client.get('/api/deploy?user=contract-enc')).body.total).toBe(1)
      expect((await ctx.client.delete('/api/%64eploy/contract-enc/%68ello')).status).toBe(204)
      expect((await ctx.call('/contract-enc/hello')).status).toBe(404)
    })

    it('stores and serves files in the namespace an encoded URL names', async () => {
      const stored = await put('/api/%73torage/%63ontract-enc/a%20b.txt', 'encoded')
      expect(stored.status).toBe(201)
      expect(await stored.json()).toMatchObject({ namespace: 'contract-enc', path: 'a b.txt' })
      expect(await (await ctx.call('/api/storage/contract-enc/a%20b.txt')).text()).toBe('encoded')
      expect(await (await ctx.call('/%73tatic/contract-enc/a%20b.txt')).text()).toBe('encoded')
      expect(await (await ctx.call('/static/contract-%65nc/a%20b.txt')).text()).toBe('encoded')
      expect((await ctx.client.get('/api/storage/contract-enc/')).body.files).toEqual(['a b.txt'])
      // Nothing landed in a namespace made of a slice of the encoded URL ("e", "age", …).
      for (const ns of ['e', 'c', 'ge'])
        expect((await ctx.client.get(`/api/storage/${ns}/`)).body.files, ns).toEqual([])
      const kv = await ctx.call('/api/%64b/%63ontract-enc/k%31', {
        method: 'PUT',
        body: JSON.stringify({ value: 'v' }),
      })
      expect(kv.status).toBe(200)
      expect((await ctx.client.get('/api/db/contract-enc/k1')).body).toMatchObject({ value: 'v' })
      // An encoded "/" is data, not a separator: never a way to a file in another directory.
      expect((await put('/api/storage/contract-enc/a%2Fb.txt', 'x')).status).toBe(400)
      expect((await ctx.client.delete('/api/storage/contract-enc/a%20b.txt')).status).toBe(204)
    })

    it('takes names that merely start with dots, and refuses "." and ".." segments', async () => {
      for (const name of ['..foo', '...', '.hidden', 'a/..b/c..', '..%20x']) {
        const res = await put(`/api/storage/contract-dots/${name}`, name)
        expect(res.status, `${name}: ${await res.clone().text()}`).toBe(201)
        expect(await (await ctx.call(`/static/contract-dots/${name}`)).text(), name).toBe(name)
      }
      await ctx.deploy('contract-dots/..fn', {
        runtime: 'js',
        code: 'function handle() { return {body: "dots"} }',
      })
      expect(await (await ctx.call('/contract-dots/..fn')).text()).toBe('dots')
      // Byte for byte: fetch would resolve "%2e%2e" before sending it (a core in process has no
      // HTTP server in front of it to receive such a request).
      const url = ctx.target.url
      for (const path of url
        ? [
            '/api/storage/contract-dots/%2e%2e/x',
            '/api/storage/contract-dots/a/%2E/x',
            '/static/contract-dots/%2e%2e/contract-files/x',
          ]
        : []) {
        const put = !path.startsWith('/static')
        const res = await rawRequest(url as string, {
          method: put ? 'PUT' : 'GET',
          target: path,
          ...(put && { body: 'x' }),
        })
        // Node refuses dot segments; workerd resolves them, as URLs do, before the Worker sees
        // the request, which is then for (and checked as) the resolved path.
        if (ctx.target.host === 'node') {
          expect(res.status, path).toBe(400)
          expect(JSON.parse(res.body)).toMatchObject({ code: 'INVALID_PATH' })
        } else expect(res.status, path).toBeLessThan(500)
      }
      const stored = (await ctx.client.get('/api/storage/contract-dots/?limit=1000')).body
        .files as string[]
      expect(stored.filter((f) => f.split('/').some((s) => s === '.' || s === '..'))).toEqual([])
      expect(stored).toEqual(expect.arrayContaining(['..foo', '...', '.hidden', 'a/..b/c..']))
    })
  })

  describe('private files', () => {
    const put = (path: string, body = '') => ctx.call(path, { method: 'PUT', body })
    const notFound = async (path: string) => {
      const res = await ctx.call(path)
      expect(res.status, path).toBe(404)
      return (await res.json()) as { error: string; code: string }
    }

    it('keeps a file put with visibility=private out of /static, and serves it by the API', async () => {
      const put1 = await put('/api/storage/contract-priv/secret.txt?visibility=private', 'top')
      expect(put1.status).toBe(201)
      expect(await put1.json()).toMatchObject({ path: 'secret.txt', visibility: 'private' })
      await put('/api/storage/contract-priv/open.txt', 'open')
      // The same answer as for a file that was never there: nothing tells that it exists.
      const missing = await notFound('/static/contract-priv/never.txt')
      expect(await notFound('/static/contract-priv/secret.txt')).toEqual({
        ...missing,
        error: missing.error.replace('never.txt', 'secret.txt'),
      })
      expect((await ctx.call('/static/contract-priv/secret.txt', { method: 'HEAD' })).status).toBe(
        404,
      )
      const api = await ctx.call('/api/storage/contract-priv/secret.txt')
      expect(api.status).toBe(200)
      expect(api.headers.get('x-visibility')).toBe('private')
      expect(await api.text()).toBe('top')
      expect(await (await ctx.call('/static/contract-priv/open.txt')).text()).toBe('open')
      // Put again without saying: it stays private.
      await put('/api/storage/contract-priv/secret.txt', 'top 2')
      await notFound('/static/contract-priv/secret.txt')
      const listed = (await ctx.client.get('/api/storage/contract-priv/')).body
      expect(listed).toMatchObject({
        files: ['open.txt', 'secret.txt'],
        private: ['secret.txt'],
        count: 2,
      })
      // Made public again, it is served.
      await put('/api/storage/contract-priv/secret.txt?visibility=public', 'top 3')
      expect(await (await ctx.call('/static/contract-priv/secret.txt')).text()).toBe('top 3')
      const bad = await put('/api/storage/contract-priv/x.txt?visibility=hidden', 'x')
      expect(bad.status).toBe(400)
      expect(await bad.json()).toMatchObject({ code: 'INVALID_REQUEST', field: 'visibility' })
    })

    it('keeps everything under a private prefix out of /static, index pages included', async () => {
      const rule = await put('/api/storage/contract-priv2/drafts/?visibility=private')
      expect(rule.status).toBe(200)
      expect(await rule.json()).toEqual({
        namespace: 'contract-priv2',
        prefix: 'drafts/',
        visibility: 'private',
      })
      await put('/api/storage/contract-priv2/drafts/index.html', '<p>draft</p>')
      await put('/api/storage/contract-priv2/drafts/deep/a.txt', 'a')
      await put('/api/storage/contract-priv2/drafts/shown.txt?visibility=public', 'shown')
      await put('/api/storage/contract-priv2/index.html', '<p>home</p>')
      await notFound('/static/contract-priv2/drafts/index.html')
      await notFound('/static/contract-priv2/drafts/')
      await notFound('/static/contract-priv2/drafts')
      await notFound('/static/contract-priv2/drafts/deep/a.txt')
      expect(await (await ctx.call('/static/contract-priv2/drafts/shown.txt')).text()).toBe('shown')
      expect(await (await ctx.call('/static/contract-priv2/')).text()).toBe('<p>home</p>')
      expect(await (await ctx.call('/api/storage/contract-priv2/drafts/deep/a.txt')).text()).toBe(
        'a',
      )
      const listed = (await ctx.client.get('/api/storage/contract-priv2/?prefix=drafts/')).body
      expect(listed).toMatchObject({
        files: ['drafts/deep/a.txt', 'drafts/index.html', 'drafts/shown.txt'],
        private: ['drafts/deep/a.txt', 'drafts/index.html'],
        rules: [{ prefix: 'drafts/', visibility: 'private' }],
      })
      // The whole namespace private, with one file kept public.
      await put('/api/storage/contract-priv2/?visibility=private')
      await notFound('/static/contract-priv2/')
      expect(await (await ctx.call('/static/contract-priv2/drafts/shown.txt')).text()).toBe('shown')
      expect((await ctx.client.delete('/api/storage/contract-priv2/')).status).toBe(204)
      // Without the rule, the drafts are public again.
      expect((await ctx.client.delete('/api/storage/contract-priv2/drafts/')).status).toBe(204)
      expect((await ctx.client.delete('/api/storage/contract-priv2/drafts/')).status).toBe(404)
      expect(await (await ctx.call('/static/contract-priv2/drafts/')).text()).toBe('<p>draft</p>')
      expect((await ctx.client.get('/api/storage/contract-priv2/')).body.rules).toEqual([])
      const empty = await ctx.call('/api/storage/contract-priv2/drafts/', {
        method: 'PUT',
        body: 'x',
      })
      expect(empty.status).toBe(400)
    })
  })

  describe('volunteers', () => {
    it('lists the connected worker and serves the volunteer page cross-origin isolated', async () => {
      const { body } = await ctx.client.get('/api/volunteers')
      expect(body.total).toBeGreaterThanOrEqual(1)
      expect(body.volunteers[0]).toMatchObject({
        runtimes: expect.arrayContaining(['js', 'lua']),
      })
      const page = await ctx.call('/volunteer/')
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<html')
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin')
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
      const plain = await ctx.client.get('/ws/volunteer')
      expect(plain).toMatchObject({ status: 426, body: { code: 'UPGRADE_REQUIRED' } })
    })

    it('answers / with a landing page and serves the console with its fallback', async () => {
      const landing = await ctx.call('/', { headers: { accept: 'text/html' } })
      expect(landing.status).toBe(200)
      expect(await landing.text()).toContain('href="/console/"')
      const shell = await ctx.call('/console/')
      expect(shell.status).toBe(200)
      const html = await shell.text()
      expect(html).toContain('/console/assets/')
      expect(await (await ctx.call('/console/jobs/any-id')).text()).toBe(html)
    })
  })
}
