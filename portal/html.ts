// The portal's markup: htm's tagged templates bound to Preact's h(), so the views need no JSX compile step.
export { html } from 'htm/preact';
