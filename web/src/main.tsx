import { render } from 'preact'
import { App } from './app/App'
import { registerServiceWorker, type ServiceWorkerControl } from './pwa/service-worker'
import { BrowserVolunteer } from './volunteer/browser-volunteer'
import '../base.css'
import './styles.css'

const root = document.getElementById('app') as HTMLElement
let update: ServiceWorkerControl | undefined

function draw(volunteer: BrowserVolunteer | undefined, failure?: string): void {
  render(<App volunteer={volunteer} failure={failure} update={update} />, root)
}

draw(undefined)
registerServiceWorker((control) => {
  update = control
  draw(current)
})

let current: BrowserVolunteer | undefined
BrowserVolunteer.start().then(
  (volunteer) => {
    current = volunteer
    draw(volunteer)
  },
  (err: unknown) => draw(undefined, err instanceof Error ? err.message : String(err)),
)
