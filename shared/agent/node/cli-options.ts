/**
 * The commander side of settings (see ../setting-sources.ts): a flag's text read by the same
 * schema as its environment variable, and only the flags a person actually typed, so that a
 * default shown in --help never hides a variable that is set.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { readText, type TextValue } from '../text-values'

/**
 * A commander argument parser for `value`: its message follows commander's "option '--port <n>'
 * argument 'x' is invalid." in the error.
 */
export function optionParser<T>(value: TextValue<T>): (text: string) => T {
  return (text) => {
    const read = readText(value, text)
    if (!read.ok) throw new InvalidArgumentError(read.message)
    return read.value
  }
}

/** The parsed options that came from the command line, not from a default. */
export function givenOptions<T extends object>(command: Command): Partial<T> {
  const given: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(command.opts()))
    if (command.getOptionValueSource(key) === 'cli') given[key] = value
  return given as Partial<T>
}
