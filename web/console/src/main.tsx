/** The console's entry: one Preact tree in #app. */
import { render } from 'preact'
import { App } from './App'
import '../../base.css'
import './styles.css'

render(<App />, document.getElementById('app') as HTMLElement)
