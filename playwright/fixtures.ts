/**
 * Browser end-to-end fixtures: the real orchestrator (no internal workers, so only the tab runs
 * jobs) and Debian's Chromium driven by playwright-core, each with a fresh profile, each stopped
 * by its own handle.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { api, type ApiClient } from '../test/helpers/api'
import { removeDir } from '../test/helpers/temp-dir'
import { startZerverless, type ZerverlessProcess } from '../test/helpers/zerverless-process'

/** Debian's Chromium, or the one CHROMIUM_PATH names. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUTPUT_DIR = path.resolve(import.meta.dirname, 'output')

/** The flags headless Chromium needs here (see ../shared/reference/stack-notes.md). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface Browser {
  context: BrowserContext
  profile: string
  close(): Promise<void>
}

export async function launchBrowser(profile?: string): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install it with apt-get install -y chromium`)
  const dir = profile ?? mkdtempSync(path.join(os.tmpdir(), 'zv-chromium-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 760 },
  })
  return {
    context,
    profile: dir,
    close: async () => {
      await context.close()
      if (!profile) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function startOrchestrator(
  args: string[] = [],
  dataDir?: string,
): Promise<ZerverlessProcess> {
  return startZerverless(['--workers', '0', ...args], dataDir)
}

/** The orchestrator (no internal workers) with one tab volunteering for it: most suites' start. */
export interface TabVolunteer {
  server: ZerverlessProcess
  client: ApiClient
  browser: Browser
  page: Page
  volunteerId: string
  /** Closes the browser, stops the orchestrator and removes its data. */
  stop(): Promise<void>
}

export async function startTabVolunteer(): Promise<TabVolunteer> {
  const server = await startOrchestrator()
  let browser: Browser | undefined
  try {
    browser = await launchBrowser()
    return await tabOn(server, browser)
  } catch (err) {
    await browser?.close()
    await server.stop()
    removeDir(server.dataDir)
    throw err
  }
}

async function tabOn(server: ZerverlessProcess, browser: Browser): Promise<TabVolunteer> {
  const { page, volunteerId } = await openVolunteer(browser.context, server.url)
  return {
    server,
    client: api(server.url),
    browser,
    page,
    volunteerId,
    stop: async () => {
      await browser.close()
      await server.stop()
      removeDir(server.dataDir)
    },
  }
}

/** Opens the volunteer page and waits until the tab is a connected volunteer; returns its id. */
export async function openVolunteer(
  context: BrowserContext,
  baseUrl: string,
): Promise<{ page: Page; volunteerId: string }> {
  const page = context.pages()[0] ?? (await context.newPage())
  await page.goto(`${baseUrl}/volunteer/`)
  const volunteerId = await connectedAs(page)
  return { page, volunteerId }
}

/** Waits for the badge to say connected and returns the id the orchestrator gave this tab. */
export async function connectedAs(page: Page, timeout = 20_000): Promise<string> {
  await page.waitForSelector('[data-testid="connection"][data-state="connected"]', { timeout })
  const text = await page.locator('[data-testid="volunteer-id"]').textContent({ timeout })
  const id = /Volunteer (\S+)/.exec(text ?? '')?.[1]
  if (!id) throw new Error(`the page shows no volunteer id: ${text}`)
  return id
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true })
  return path.join(OUTPUT_DIR, name)
}
