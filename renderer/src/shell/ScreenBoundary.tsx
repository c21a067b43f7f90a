// A screen that throws (or whose chunk fails to load) shows what happened and a way back, instead of
// blanking the whole window; the shell around it keeps working.
import { Alert, Button } from '@mantine/core';
import { Component, type ReactNode } from 'react';
import { i18n } from '../i18n';

export class ScreenBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Alert color="red" role="alert" title={i18n.t('common:shell.screenFailed', { message: error.message })}>
        <Button variant="light" color="red" onClick={() => this.setState({ error: null })}>
          {i18n.t('common:shell.reload')}
        </Button>
      </Alert>
    );
  }
}
