/**
 * Registers the service worker (precached app shell, Pyodide cached on first use) and reports
 * when a new version is waiting, so the page can offer to switch instead of switching under a
 * running job.
 */
import { Workbox } from 'workbox-window'

export interface ServiceWorkerControl {
  /** Activates the waiting version and reloads into it. */
  update(): void
}

export function registerServiceWorker(onUpdate: (control: ServiceWorkerControl) => void): void {
  // Under `npm run dev` there is no sw.js and registering fails quietly, which is what we want.
  if (!('serviceWorker' in navigator)) return
  const wb = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL })
  wb.addEventListener('waiting', () => {
    onUpdate({
      update() {
        wb.addEventListener('controlling', () => location.reload())
        wb.messageSkipWaiting()
      },
    })
  })
  void wb.register().catch(() => {
    // No service worker (a private window, a plain-http LAN address): the page still works online.
  })
}
