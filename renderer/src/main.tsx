import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/spotlight/styles.css';
import './styles.css';
import './i18n';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { DialogProvider } from './dialogs';
import { App } from './shell/App';
import { colorSchemeManager, cssVariablesResolver, theme } from './theme/theme';

const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, retry: 1 } } });

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <MantineProvider
      theme={theme}
      defaultColorScheme="auto"
      colorSchemeManager={colorSchemeManager}
      cssVariablesResolver={cssVariablesResolver}
    >
      <QueryClientProvider client={queryClient}>
        <DialogProvider>
          <Notifications position="top-right" limit={5} />
          {/* The shell's strings are bundled; this waits only for a screen's namespace. */}
          <Suspense fallback={null}>
            <App />
          </Suspense>
        </DialogProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
